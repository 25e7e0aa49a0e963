// Builds the supervisor: dist/supervisor.cjs (+ node-pty's runtime files) and the terminal page's frontend.
// Usage: node build.mjs (idempotent; silent on success).
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

mkdirSync(join(dist, 'frontend'), { recursive: true });

await Promise.all([
  build({
    entryPoints: [join(here, 'src/main.ts')],
    outfile: join(dist, 'supervisor.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['node-pty', 'bufferutil', 'utf-8-validate'],
    // zod and yaml come in through @atelier/protocol; shrink them but keep names readable in stack traces
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'error',
  }),
  build({
    entryPoints: [join(here, 'src/gp/main.ts')],
    outfile: join(dist, 'gp.cjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow; its ESM build bundles
    mainFields: ['module', 'main'],
    external: ['bufferutil', 'utf-8-validate'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'error',
  }),
  build({
    entryPoints: [join(here, 'frontend/terminal.ts')],
    outfile: join(dist, 'frontend/terminal.js'),
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
  }),
]);

// node-pty stays a real module beside the bundle: its runtime JS and the native addon, no sources
const pty = packageDir('node-pty');
const ptyOut = join(dist, 'node_modules/node-pty');
rmSync(ptyOut, { recursive: true, force: true });
cpSync(join(pty, 'package.json'), join(ptyOut, 'package.json'));
cpSync(join(pty, 'lib'), join(ptyOut, 'lib'), {
  recursive: true,
  filter: (src) => !/\.(test\.js|map)$/.test(src),
});
cpSync(join(pty, 'build/Release/pty.node'), join(ptyOut, 'build/Release/pty.node'));

cpSync(join(packageDir('@xterm/xterm'), 'css/xterm.css'), join(dist, 'frontend/xterm.css'));
