// One process per WebSocket for the SSH gateway (supervisorPaths.exec): a command line, the login
// shell or the SFTP server, as the workspace user in the checkout, with a pty or with pipes, and
// its exit status at the end. Output waits while the client does not read (flow control), stdin
// waits while the process does not read, and a client that leaves hangs the process up.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  EXEC_STDERR,
  EXEC_STDOUT,
  type ExecExit,
  execClientMessageSchema,
  execStartSchema,
  formatIssues,
} from '@atelier/protocol';
import { type IPty, spawn as spawnPty } from 'node-pty';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../log.js';

/**
 * A client with more than this much unsent output pauses the process until it catches up; a
 * process with this much unread stdin stops the supervisor reading the client.
 */
export const EXEC_HIGH_WATER_BYTES = 1024 * 1024;
/** How long a hung-up process has to exit before its process group is killed. */
export const EXEC_HANG_UP_GRACE_MS = 3_000;
/** Where Debian, Fedora, Alpine and friends keep OpenSSH's SFTP server. */
export const SFTP_SERVER_PATHS = [
  '/usr/lib/openssh/sftp-server',
  '/usr/lib/sftp-server',
  '/usr/libexec/sftp-server',
  '/usr/libexec/openssh/sftp-server',
];
export const NO_SFTP_SERVER =
  "this workspace's image has no sftp-server: install openssh-sftp-server (Debian/Ubuntu) in the image to use sftp and scp\n";

export interface ExecOptions {
  shell: string;
  env: Record<string, string>;
  cwd: () => string;
  logger: Logger;
  sftpServerPaths?: string[];
}

type Proc = { kind: 'pty'; pty: IPty } | { kind: 'pipes'; child: ChildProcess } | { kind: 'none' };

/** The processes started through the exec API, so that a stopping supervisor can hang them up. */
export class Execs {
  private readonly live = new Set<Exec>();

  constructor(private readonly opts: ExecOptions) {}

  /** Serves one WebSocket: waits for its start frame, runs the process, reports its exit. */
  serve(ws: WebSocket): void {
    const exec = new Exec(ws, this.opts, () => this.live.delete(exec));
    this.live.add(exec);
  }

  async hangUpAll(graceMs = EXEC_HANG_UP_GRACE_MS): Promise<void> {
    await Promise.all([...this.live].map((e) => e.hangUp(graceMs)));
  }
}

class Exec {
  private proc: Proc = { kind: 'none' };
  private readonly done: Promise<void>;
  private finish!: () => void;
  private drainTimer: NodeJS.Timeout | undefined;
  private hangingUp = false;
  private stdinWaiting = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: ExecOptions,
    private readonly onDone: () => void,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    ws.once('message', (data, isBinary) => this.start(data, isBinary));
    ws.on('close', () => {
      // the client left: nobody reads any more, so the process goes
      if (this.proc.kind === 'none') return this.ended();
      void this.hangUp(EXEC_HANG_UP_GRACE_MS);
    });
    ws.on('error', (e) => opts.logger.warn({ error: e }, 'exec client failed'));
  }

  private start(data: RawData, isBinary: boolean): void {
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      // reported below as a bad start frame
    }
    const start = execStartSchema.safeParse(parsed);
    if (!start.success) {
      const why =
        parsed === undefined
          ? 'the first frame must be JSON text'
          : formatIssues(start.error.issues).join('; ');
      return void this.ws.close(1008, `bad start: ${why}`.slice(0, 120));
    }
    const { run, env: extra } = start.data;
    // the SFTP server speaks a binary protocol: never through a terminal's line discipline
    const pty = run.kind === 'sftp' ? undefined : start.data.pty;
    const env = { ...this.opts.env, ...extra };
    const cwd = this.opts.cwd();
    const shell = existsSync(this.opts.shell) ? this.opts.shell : '/bin/sh';
    let file: string;
    let args: string[];
    switch (run.kind) {
      case 'command':
        // as sshd runs a command: the user's shell with -c, not a login shell, so that the image's
        // environment (its PATH above all) is what the command sees; /etc/profile would reset it
        [file, args] = [shell, ['-c', run.command]];
        break;
      case 'shell':
        [file, args] = [shell, ['-l']];
        break;
      case 'sftp': {
        const server = (this.opts.sftpServerPaths ?? SFTP_SERVER_PATHS).find((p) => existsSync(p));
        if (!server) {
          this.send(EXEC_STDERR, Buffer.from(NO_SFTP_SERVER));
          this.exit({ type: 'exit', code: 127, signal: null });
          return;
        }
        [file, args] = [server, []];
        break;
      }
    }
    this.opts.logger.info({ run: run.kind, pty: pty !== undefined, cwd }, 'exec started');
    if (pty) {
      const p = spawnPty(file, args, {
        name: pty.term,
        cols: pty.cols,
        rows: pty.rows,
        cwd,
        env: { ...env, TERM: pty.term },
        encoding: null,
      });
      this.proc = { kind: 'pty', pty: p };
      p.onData((chunk) => this.output(EXEC_STDOUT, chunk as unknown as Buffer));
      p.onExit(({ exitCode, signal }) =>
        this.exit({
          type: 'exit',
          code: signal ? null : exitCode,
          signal: signal ? signalName(signal) : null,
        }),
      );
    } else {
      // its own process group, so that a hang-up reaches what it started too
      const child = spawn(file, args, { cwd, env, stdio: 'pipe', detached: true });
      this.proc = { kind: 'pipes', child };
      child.stdout?.on('data', (c: Buffer) => this.output(EXEC_STDOUT, c));
      child.stderr?.on('data', (c: Buffer) => this.output(EXEC_STDERR, c));
      child.stdin?.on('error', () => {}); // the process closed its stdin: what the client still sends is dropped
      child.on('error', (e) => {
        this.send(EXEC_STDERR, Buffer.from(`cannot run ${file}: ${e.message}\n`));
        this.exit({ type: 'exit', code: 127, signal: null });
      });
      child.on('close', (code, signal) =>
        this.exit({
          type: 'exit',
          code: signal ? null : code,
          signal: signal ? signal.replace(/^SIG/, '') : null,
        }),
      );
    }
    this.ws.on('message', (msg, binary) => this.fromClient(msg, binary));
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    const proc = this.proc;
    if (isBinary) {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      // bytes as they came: a UTF-8 character may span two frames
      if (proc.kind === 'pty') proc.pty.write(chunk);
      else if (proc.kind === 'pipes' && proc.child.stdin?.writable) {
        const stdin = proc.child.stdin;
        stdin.write(chunk);
        // stdin waits for the process: past the high-water mark, stop reading the client (its TCP
        // window closes) until the pipe drained; frames already received still arrive meanwhile
        if (stdin.writableLength > EXEC_HIGH_WATER_BYTES && !this.stdinWaiting) {
          this.stdinWaiting = true;
          this.ws.pause();
          stdin.once('drain', () => {
            this.stdinWaiting = false;
            this.ws.resume();
          });
        }
      }
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return void this.ws.close(1008, 'invalid JSON in text frame');
    }
    const msg = execClientMessageSchema.safeParse(parsed);
    if (!msg.success)
      return void this.ws.close(
        1008,
        `bad message: ${formatIssues(msg.error.issues).join('; ')}`.slice(0, 120),
      );
    switch (msg.data.type) {
      case 'resize':
        if (proc.kind === 'pty') proc.pty.resize(msg.data.cols, msg.data.rows);
        return;
      case 'signal':
        this.signal(`SIG${msg.data.name}` as NodeJS.Signals, proc.kind === 'pipes');
        return;
      case 'eof':
        if (proc.kind === 'pipes') proc.child.stdin?.end();
        else if (proc.kind === 'pty') proc.pty.write('\x04'); // ^D: end of input for the program reading the terminal
        return;
    }
  }

  private output(stream: number, chunk: Buffer): void {
    this.send(stream, chunk);
    if (!this.drainTimer && this.ws.bufferedAmount > EXEC_HIGH_WATER_BYTES) this.pause();
  }

  private send(stream: number, chunk: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(Buffer.concat([Buffer.of(stream), chunk]), { binary: true });
  }

  private pause(): void {
    const proc = this.proc;
    if (proc.kind === 'pty') proc.pty.pause();
    else if (proc.kind === 'pipes') {
      proc.child.stdout?.pause();
      proc.child.stderr?.pause();
    }
    this.drainTimer = setInterval(() => {
      if (this.ws.bufferedAmount > EXEC_HIGH_WATER_BYTES / 2 && this.ws.readyState === this.ws.OPEN) return;
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
      if (proc.kind === 'pty') proc.pty.resume();
      else if (proc.kind === 'pipes') {
        proc.child.stdout?.resume();
        proc.child.stderr?.resume();
      }
    }, 5);
  }

  private exit(exit: ExecExit): void {
    if (this.ws.readyState === this.ws.OPEN) {
      this.ws.send(JSON.stringify(exit));
      this.ws.close(1000, exit.code !== null ? `exit ${exit.code}` : `signal ${exit.signal}`);
    }
    this.ended();
  }

  private ended(): void {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.proc = { kind: 'none' };
    this.onDone();
    this.finish();
  }

  private signal(signal: NodeJS.Signals, group: boolean): void {
    const proc = this.proc;
    try {
      if (proc.kind === 'pty') {
        if (group) process.kill(-proc.pty.pid, signal);
        else proc.pty.kill(signal);
      } else if (proc.kind === 'pipes' && proc.child.pid) {
        process.kill(-proc.child.pid, signal);
      }
    } catch {
      // gone already: the exit handler reports it
    }
  }

  /** SIGHUP, then SIGKILL to the process group after `graceMs`; resolves once it ended. */
  hangUp(graceMs: number): Promise<void> {
    if (this.proc.kind === 'none') return this.done;
    if (!this.hangingUp) {
      this.hangingUp = true;
      this.signal('SIGHUP', true);
      const timer = setTimeout(() => this.signal('SIGKILL', true), graceMs);
      void this.done.then(() => clearTimeout(timer));
    }
    return this.done;
  }
}

/** node-pty reports signals by number. */
function signalName(n: number): string {
  const names: Record<number, string> = {
    1: 'HUP',
    2: 'INT',
    3: 'QUIT',
    6: 'ABRT',
    9: 'KILL',
    13: 'PIPE',
    14: 'ALRM',
    15: 'TERM',
  };
  return names[n] ?? String(n);
}
