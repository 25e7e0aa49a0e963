// Installs the IDE (code-server + Node 24) into a folder; scripts/setup.sh runs it in test mode.
// Usage: node --import tsx packages/ide/bin/install.ts --dir DIR [--quiet]
//   --quiet: only the installer's own steps, not npm's output; nothing at all when already installed
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureIde, findIde } from '../src/index.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, quiet: { type: 'boolean' } } });
if (!values.dir) {
  process.stderr.write('usage: install.ts --dir DIR [--quiet]\n');
  process.exit(2);
}
const dir = resolve(values.dir);
// Ctrl-C or a kill stops npm and removes the unfinished folder instead of leaving npm running.
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
try {
  const found = await findIde(dir);
  if (found) {
    if (!values.quiet) process.stdout.write(`${found.root} (already installed)\n`);
  } else {
    const ide = await ensureIde({
      dir,
      signal: abort.signal,
      onProgress: (line) => {
        // npm's lines come indented; the installer's own steps do not
        if (!values.quiet || !line.startsWith('  ')) process.stderr.write(`ide: ${line}\n`);
      },
    });
    process.stdout.write(`${ide.root} (code-server ${ide.codeServerVersion}, node ${ide.nodeVersion})\n`);
  }
} catch (e) {
  if (abort.signal.aborted) {
    process.stderr.write(`ide install: interrupted; the unfinished install in ${dir} was removed\n`);
    process.exit(130);
  }
  const err = e as Error & { details?: readonly string[] };
  process.stderr.write(`ide install: ${err.message}\n${(err.details ?? []).map((d) => `  ${d}\n`).join('')}`);
  process.exit(1);
}
