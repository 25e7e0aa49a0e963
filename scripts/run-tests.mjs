#!/usr/bin/env node
// Runs every *.test.ts below the given folders with Node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs <folder or file>... [-- extra node --test flags]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const split = args.indexOf('--');
const roots = split === -1 ? args : args.slice(0, split);
const extra = split === -1 ? [] : args.slice(split + 1);
const filter = process.env.TEST_FILTER ? new RegExp(process.env.TEST_FILTER) : undefined;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts') && (!filter || filter.test(p))) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => (statSync(r).isFile() ? [r] : walk(r, []))).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    // a hung test fails instead of stalling CI
    `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 300_000}`,
    ...extra,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
