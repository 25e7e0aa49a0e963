// The exec API against a real supervisor: commands with their exit codes and separate stderr,
// stdin to its end, a pty with its size, signals, the SFTP server, flow control, and a client that
// leaves taking its process along.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  EXEC_STDERR,
  EXEC_STDOUT,
  type ExecExit,
  type ExecStart,
  supervisorPaths as P,
  SUPERVISOR_TOKEN_HEADER,
} from '@atelier/protocol';
import WebSocket from 'ws';
import { configFor, type Harness, harness, TOKEN } from '../testing/harness.js';

interface Ran {
  stdout: Buffer;
  stderr: Buffer;
  exit: ExecExit | undefined;
  close: { code: number; reason: string };
}

function open(port: number, token = TOKEN) {
  return new WebSocket(`ws://127.0.0.1:${port}${P.exec}`, { headers: { [SUPERVISOR_TOKEN_HEADER]: token } });
}

/** Runs one exec to its end: sends `start`, then `input` and eof, and collects what comes back. */
async function run(
  port: number,
  start: ExecStart,
  opts: { input?: Buffer; eof?: boolean; onOpen?: (ws: WebSocket) => void } = {},
): Promise<Ran> {
  const ws = open(port);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exit: ExecExit | undefined;
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      exit = JSON.parse(data.toString()) as ExecExit;
      return;
    }
    (data[0] === EXEC_STDOUT ? out : data[0] === EXEC_STDERR ? err : []).push(data.subarray(1));
  });
  const close = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify(start));
  // in frames of 64 KiB, as the gateway sends SSH channel data (the supervisor takes at most 1 MiB)
  for (let at = 0; opts.input && at < opts.input.length; at += 65536)
    ws.send(opts.input.subarray(at, at + 65536), { binary: true });
  if (opts.eof) ws.send(JSON.stringify({ type: 'eof' }));
  opts.onOpen?.(ws);
  const closed = await close;
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exit, close: closed };
}

describe('exec API', () => {
  let dir: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sup-exec-'));
    h = await harness(dir, configFor({ kind: 'empty' }));
  });
  after(async () => {
    await h.sup.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a command: stdout and stderr apart, the exit code, the workspace environment', async () => {
    const r = await run(h.sup.port, {
      type: 'start',
      run: { kind: 'command', command: 'echo "out $FROM_CONFIG $EXTRA"; echo err >&2; exit 7' },
      env: { EXTRA: 'from-client' },
    });
    assert.equal(r.stdout.toString(), 'out yes from-client\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.deepEqual(r.exit, { type: 'exit', code: 7, signal: null });
    assert.equal(r.close.code, 1000);
  });

  it('stdin reaches the process, and its end too (a large input, with flow control)', async () => {
    const input = Buffer.alloc(8 * 1024 * 1024, 120);
    const r = await run(
      h.sup.port,
      { type: 'start', run: { kind: 'command', command: 'wc -c' } },
      { input, eof: true },
    );
    assert.equal(
      r.stdout.toString().trim(),
      String(input.length),
      JSON.stringify([r.exit, r.close, r.stderr.toString()]),
    );
    assert.equal(r.exit?.code, 0);
  });

  it('streams 64 MiB of output whole', async () => {
    const r = await run(h.sup.port, {
      type: 'start',
      run: { kind: 'command', command: 'head -c 67108864 /dev/zero' },
    });
    assert.equal(r.stdout.length, 64 * 1024 * 1024);
    assert.equal(r.exit?.code, 0);
  });

  it('a pty of the asked size, resized, with TERM; the shell exit code comes back', async () => {
    const r = await run(
      h.sup.port,
      { type: 'start', run: { kind: 'shell' }, pty: { term: 'xterm-test', cols: 91, rows: 17 } },
      {
        onOpen: (ws) => {
          ws.send(Buffer.from('stty size; echo "term=$TERM"\r'), { binary: true });
          setTimeout(() => {
            ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
            ws.send(Buffer.from('stty size; exit 3\r'), { binary: true });
          }, 300);
        },
      },
    );
    const text = r.stdout.toString();
    assert.match(text, /17 91/);
    assert.match(text, /term=xterm-test/);
    assert.match(text, /40 120/);
    assert.equal(r.exit?.code, 3);
  });

  it('a signal ends the process, and says which', async () => {
    const r = await run(
      h.sup.port,
      { type: 'start', run: { kind: 'command', command: 'sleep 30' } },
      { onOpen: (ws) => setTimeout(() => ws.send(JSON.stringify({ type: 'signal', name: 'TERM' })), 200) },
    );
    assert.deepEqual(r.exit, { type: 'exit', code: null, signal: 'TERM' });
  });

  it('sftp runs the SFTP server, or says how to get one', async () => {
    const r = await run(h.sup.port, { type: 'start', run: { kind: 'sftp' } }, { eof: true });
    if (existsSync('/usr/lib/openssh/sftp-server')) assert.equal(r.exit?.code, 0, r.stderr.toString());
    else {
      assert.equal(r.exit?.code, 127);
      assert.match(r.stderr.toString(), /install openssh-sftp-server/);
    }
  });

  it('refuses a bad start frame and a wrong token', async () => {
    const bad = await run(h.sup.port, { type: 'start', run: { kind: 'launch' } } as unknown as ExecStart);
    assert.equal(bad.close.code, 1008);
    assert.match(bad.close.reason, /^bad start: run/);
    const ws = open(h.sup.port, 'wrong-token');
    await assert.rejects(
      new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
      /401/,
    );
  });

  it('a client that leaves takes its process along (also what it started)', async () => {
    const marker = join(dir, 'still-alive');
    const ws = open(h.sup.port);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(
      JSON.stringify({
        type: 'start',
        run: { kind: 'command', command: `sleep 60 & echo $! > ${marker}; wait` },
      }),
    );
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pid = existsSync(marker) ? Number((await import('node:fs')).readFileSync(marker, 'utf8')) : 0;
    }
    assert.ok(pid > 0, 'the background sleep started');
    ws.terminate();
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, 'the sleep went with its session');
  });
});
