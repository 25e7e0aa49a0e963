import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskConfig } from '@atelier/protocol';
import { taskScript } from './tasks.js';

const task: TaskConfig = {
  name: 'build',
  before: 'source env.sh',
  init: 'npm ci\n# a comment line',
  prebuild: 'npm run warm-cache',
  command: 'npm start',
  env: {},
};

test('task scripts: fresh start, start from a backup, headless start (prebuild)', () => {
  assert.equal(
    taskScript(task, 'from-other'),
    '{\nsource env.sh\n} && {\nnpm ci\n# a comment line\n} && {\nnpm start\n}',
  );
  assert.equal(taskScript(task, 'from-backup'), '{\nsource env.sh\n} && {\nnpm start\n}');
  assert.equal(
    taskScript(task, 'from-other', true),
    '{\nsource env.sh\n} && {\nnpm ci\n# a comment line\n} && {\nnpm run warm-cache\n}',
  );
  assert.equal(taskScript({ name: 'empty', env: {}, command: '  ' }, 'from-other'), '');
});
