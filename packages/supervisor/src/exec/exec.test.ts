// The exec API against a real supervisor: commands with their exit codes and separate stderr,
// stdin to its end, a pty with its size, signals, the SFTP server, flow control, and a client that
// leaves taking its process along.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
import WebSocket, { WebSocketServer } from 'ws';
import { silentLogger } from '../log.js';
import { configFor, type Harness, harness, TOKEN } from '../testing/harness.js';
import { Execs, NO_SFTP_SERVER } from './exec.js';

interface Ran {
  stdout: Buffer;
  stderr: Buffer;
  exit: ExecExit | undefined;
  close: { code: number; reason: string };
}

function open(port: number, token = TOKEN) {
  return new WebSocket(`ws://127.0.0.1:${port}${P.exec}`, { headers: { [SUPERVISOR_TOKEN_HEADER]: token } });
}

/** What came so far on stdout, and a wait for a text to show up there. */
interface Output {
  text(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

/** Runs one exec to its end: sends `start`, then `input` and eof, and collects what comes back. */
async function run(
  port: number,
  start: ExecStart,
  opts: { input?: Buffer; eof?: boolean; onOpen?: (ws: WebSocket, output: Output) => void } = {},
): Promise<Ran> {
  const ws = open(port);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exit: ExecExit | undefined;
  const waiters: (() => void)[] = [];
  const output: Output = {
    text: () => Buffer.concat(out).toString(),
    async waitFor(text, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.text().includes(text)) {
        if (Date.now() > deadline) throw new Error(`no '${text}' in ${JSON.stringify(output.text())}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      exit = JSON.parse(data.toString()) as ExecExit;
      return;
    }
    (data[0] === EXEC_STDOUT ? out : data[0] === EXEC_STDERR ? err : []).push(data.subarray(1));
    for (const w of waiters.splice(0)) w();
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
  opts.onOpen?.(ws, output);
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

  it('output waits while the client does not read (flow control), then arrives whole', async () => {
    const progress = join(dir, 'progress');
    const ws = open(h.sup.port);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let received = 0;
    let exit: ExecExit | undefined;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) received += data.length - 1;
      else exit = JSON.parse(data.toString()) as ExecExit;
    });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.pause(); // the client stops reading its socket
    const command = `for i in $(seq 1 64); do head -c 1048576 /dev/zero; echo $i > ${progress}; done`;
    ws.send(JSON.stringify({ type: 'start', run: { kind: 'command', command } }));
    // the writer gets stuck once the buffers on the way are full: its progress stops moving
    let last = '';
    for (let quiet = 0; quiet < 10 || last === ''; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = existsSync(progress) ? readFileSync(progress, 'utf8').trim() : '';
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
    assert.ok(Number(last) < 40, `the writer should wait for the client, but wrote ${last} MiB`);
    ws.resume();
    await closed;
    assert.equal(received, 64 * 1024 * 1024);
    assert.equal(exit?.code, 0);
  });

  it('stdin waits while the process does not read: the client sees TCP backpressure', async () => {
    const ws = open(h.sup.port);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise((resolve) => ws.once('close', resolve));
    // reads nothing until told to by a signal it never gets
    ws.send(JSON.stringify({ type: 'start', run: { kind: 'command', command: 'exec sleep 60' } }));
    const sent = 32 * 1024 * 1024;
    const frame = Buffer.alloc(65536, 121);
    for (let at = 0; at < sent; at += frame.length) ws.send(frame, { binary: true });
    // the supervisor takes what fits in the pipe and its buffers, then stops reading the socket
    let last = -1;
    for (let quiet = 0; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 100));
      quiet = ws.bufferedAmount === last ? quiet + 1 : 0;
      last = ws.bufferedAmount;
    }
    assert.ok(last > sent / 2, `the supervisor should stop reading stdin, but only ${last} bytes wait`);
    ws.send(JSON.stringify({ type: 'signal', name: 'KILL' }));
    ws.terminate();
    await closed;
  });

  it('a pty of the asked size, resized, with TERM; the shell exit code comes back', async () => {
    const r = await run(
      h.sup.port,
      { type: 'start', run: { kind: 'shell' }, pty: { term: 'xterm-test', cols: 91, rows: 17 } },
      {
        onOpen: (ws, output) => {
          ws.send(Buffer.from('stty size; echo "term=$TERM"\r'), { binary: true });
          void output.waitFor('term=xterm-test').then(() => {
            ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
            ws.send(Buffer.from('stty size; exit 3\r'), { binary: true });
          });
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
      { type: 'start', run: { kind: 'command', command: 'echo ready; exec sleep 30' } },
      {
        onOpen: (ws, output) =>
          void output.waitFor('ready').then(() => ws.send(JSON.stringify({ type: 'signal', name: 'TERM' }))),
      },
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

  it('a stopping supervisor hangs up what runs', async () => {
    const other = mkdtempSync(join(tmpdir(), 'sup-exec-close-'));
    const sup = await harness(other, configFor({ kind: 'empty' }));
    try {
      let closing: Promise<void> | undefined;
      const ran = await run(
        sup.sup.port,
        { type: 'start', run: { kind: 'command', command: 'echo $$; exec sleep 60' } },
        {
          onOpen: (_ws, output) =>
            void output.waitFor('\n').then(() => {
              closing = sup.sup.close();
            }),
        },
      );
      await closing;
      const pid = Number(ran.stdout.toString().trim());
      assert.ok(pid > 0);
      assert.equal(alive(pid), false, 'the process ended with the supervisor');
    } finally {
      await sup.sup.close();
      rmSync(other, { recursive: true, force: true });
    }
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
      pid = existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0;
    }
    assert.ok(pid > 0, 'the background sleep started');
    ws.terminate();
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'the sleep went with its session');
  });
});

describe('exec API without an sftp-server in the image', () => {
  it('says how to get one, on stderr, and exits 127', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    const execs = new Execs({
      shell: '/bin/sh',
      env: {},
      cwd: () => tmpdir(),
      logger: silentLogger,
      sftpServerPaths: ['/nonexistent/sftp-server'],
    });
    wss.on('connection', (ws) => execs.serve(ws));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await run(port, { type: 'start', run: { kind: 'sftp' } });
      assert.equal(r.stderr.toString(), NO_SFTP_SERVER);
      assert.equal(
        NO_SFTP_SERVER,
        "this workspace's image has no sftp-server: install openssh-sftp-server (Debian/Ubuntu) in the image to use sftp and scp\n",
      );
      assert.deepEqual(r.exit, { type: 'exit', code: 127, signal: null });
    } finally {
      wss.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: it is gone
  }
}
