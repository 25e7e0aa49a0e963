// Builds the Atelier VS Code extension: dist/extension.js (one CommonJS bundle, `vscode` external) and
// dist/atelier.vsix. Usage: node build.mjs (idempotent; silent on success, vsce's output on failure).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const vsix = join(here, 'dist/atelier.vsix');

await build({
  entryPoints: [join(here, 'src/extension.ts')],
  outfile: join(here, 'dist/extension.js'),
  bundle: true,
  platform: 'node',
  // code-server 4.139 runs its extension host on Node 22+; Node 20 keeps older hosts working
  target: 'node20',
  format: 'cjs',
  // ws loads these native speed-ups when present; the extension does without them
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  // zod comes in through @atelier/protocol; shrink it but keep names readable in stack traces
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'error',
});

rmSync(vsix, { force: true });
const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
const packaged = spawnSync(
  process.execPath,
  [
    vsce,
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    // the task terminals should be there as soon as the window is: activate with the extension host
    '--allow-star-activation',
    '--skip-license',
    '--no-update-package-json',
    '--out',
    vsix,
  ],
  { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
);
if (packaged.status !== 0) {
  process.stderr.write(`${packaged.stdout}${packaged.stderr}vsce package failed (exit ${packaged.status})\n`);
  process.exit(1);
}
