// Saving task output on stop, against a real SQLite database and an HTTP peer that answers the
// supervisor's two task routes as documented in protocol/supervisor.ts (the real supervisor runs
// only inside a workspace container; e2e/config-errors.test.ts covers that path).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DatabaseHandle, migrateToLatest, openDatabase, Repositories } from '@atelier/db';
import {
  type InstanceId,
  supervisorPaths as P,
  SUPERVISOR_TOKEN_HEADER,
  type TaskStatus,
  type WorkspaceId,
} from '@atelier/protocol';
import { pino } from 'pino';
import { SupervisorClient } from '../supervisor-client.js';
import { saveTaskOutput } from './task-output.js';

const TOKEN = 'task-output-test-token';

/** Answers status/tasks and task/output/<i> from `tasks` and `outputs`; `fail` makes an output 500. */
async function fakeSupervisor(tasks: TaskStatus[], outputs: string[], fail = new Set<number>()) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.headers[SUPERVISOR_TOKEN_HEADER] !== TOKEN) return void res.writeHead(401).end();
    if (req.url === P.statusTasks) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ tasks }));
    }
    const index = Number(req.url?.slice(P.taskOutput.length + 1));
    if (req.url?.startsWith(`${P.taskOutput}/`) && outputs[index] !== undefined && !fail.has(index)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(outputs[index]);
    }
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'internal', message: 'the supervisor failed: boom' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    client: new SupervisorClient({ host: '127.0.0.1', port, token: TOKEN }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const task = (index: number, state: TaskStatus['state']): TaskStatus => ({
  index,
  name: `task ${index}`,
  alias: state === 'pending' ? null : `t${index + 1}`,
  state,
  exitCode: state === 'exited' ? 1 : null,
});

describe('saveTaskOutput', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-task-output-'));
  let handle: DatabaseHandle;
  let repos: Repositories;
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  let n = 0;
  const instance = () => ({ id: `inst-${++n}` as InstanceId, workspaceId: 'ws-test' as WorkspaceId });

  before(async () => {
    handle = await openDatabase({ sqlite: { path: join(dir, 'atelier.db') } }, { dataDir: dir });
    await migrateToLatest(handle.db);
    repos = new Repositories(handle.db);
  });
  after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('keeps the output of every started task in task-<index>, ANSI as written', async () => {
    const sup = await fakeSupervisor(
      [task(0, 'running'), task(1, 'exited'), task(2, 'pending')],
      ['\x1b[32mready\x1b[0m on :3000\r\n', 'make: *** [all] Error 1\r\n', ''],
    );
    const inst = instance();
    try {
      await saveTaskOutput({ repos, logger }, inst, sup.client);
      assert.deepEqual(await repos.logs.streams(inst.id), ['task-0', 'task-1']);
      assert.equal(await repos.logs.text(inst.id, 'task-0'), '\x1b[32mready\x1b[0m on :3000\r\n');
      assert.equal(await repos.logs.text(inst.id, 'task-1'), 'make: *** [all] Error 1\r\n');
      assert.ok(!sup.seen.includes(`${P.taskOutput}/2`), 'a pending task has nothing to fetch');

      // a retried stop does not save the same output twice
      await saveTaskOutput({ repos, logger }, inst, sup.client);
      assert.equal(await repos.logs.lastSeq(inst.id, 'task-0'), 0);
    } finally {
      await sup.close();
    }
  });

  test('a task whose output cannot be read is logged and skipped; the others are kept', async () => {
    const sup = await fakeSupervisor(
      [task(0, 'running'), task(1, 'running')],
      ['first', 'second'],
      new Set([0]),
    );
    const inst = instance();
    warnings.length = 0;
    try {
      await saveTaskOutput({ repos, logger }, inst, sup.client);
      assert.deepEqual(await repos.logs.streams(inst.id), ['task-1']);
      const logged = warnings.map((l) => JSON.parse(l) as { msg: string; task?: number; instanceId: string });
      assert.deepEqual(
        logged.map((l) => [l.msg, l.task, l.instanceId]),
        [['task output not saved', 0, inst.id]],
      );
    } finally {
      await sup.close();
    }
  });

  test('an unreachable supervisor is logged and the stop goes on', async () => {
    const sup = await fakeSupervisor([], []);
    await sup.close(); // nothing listens on its port any more
    const inst = instance();
    warnings.length = 0;
    await saveTaskOutput({ repos, logger }, inst, sup.client);
    assert.deepEqual(await repos.logs.streams(inst.id), []);
    const logged = warnings.map((l) => JSON.parse(l) as { msg: string; err: string });
    assert.deepEqual(
      logged.map((l) => l.msg),
      ['task output not saved: the supervisor did not list the tasks'],
    );
    assert.match(logged[0]?.err ?? '', /cannot reach the workspace's supervisor/);
  });
});
