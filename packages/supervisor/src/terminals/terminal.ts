// One pseudo-terminal (node-pty) with its scrollback and the WebSocket clients attached to it.

import { formatIssues, terminalClientMessageSchema, type terminalSchema } from '@atelier/protocol';
import { type IPty, spawn } from 'node-pty';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';

export type TerminalInfo = ReturnType<typeof terminalSchema.parse>;

/** Output kept for clients that attach later. */
export const SCROLLBACK_BYTES = 256 * 1024;
/** A client with more than this much unsent output pauses the shell until it catches up. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** How long a hung-up shell has to exit before it is killed. */
export const HANG_UP_GRACE_MS = 3_000;

export interface SpawnOptions {
  alias: string;
  /** shown in terminal lists; the shell's name by default */
  title?: string;
  shell: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  logger: Logger;
  onExit: (t: Terminal) => void;
}

export class Terminal {
  readonly info: TerminalInfo;
  private readonly pty: IPty;
  private readonly clients = new Set<WebSocket>();
  private scrollback: Buffer[] = [];
  private scrollbackSize = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private exit: number | undefined;
  private markExited!: () => void;
  /** settles when the shell has exited */
  private readonly exited$ = new Promise<void>((resolve) => {
    this.markExited = resolve;
  });

  constructor(private readonly opts: SpawnOptions) {
    this.pty = spawn(opts.shell, opts.args, {
      name: opts.env.TERM ?? 'xterm-256color',
      cols: opts.cols,
      rows: opts.rows,
      cwd: opts.cwd,
      env: opts.env,
    });
    this.info = {
      alias: opts.alias,
      title: opts.title ?? opts.shell.split('/').pop() ?? opts.shell,
      pid: this.pty.pid,
      cwd: opts.cwd,
    };
    this.pty.onData((data) => this.output(Buffer.from(data, 'utf8')));
    this.pty.onExit(({ exitCode }) => this.exited(exitCode));
  }

  /** Replays the scrollback to `ws`, then streams live output to it and takes its input. */
  attach(ws: WebSocket): void {
    if (this.scrollbackSize > 0) ws.send(Buffer.concat(this.scrollback), { binary: true });
    this.clients.add(ws);
    ws.on('message', (data, isBinary) => this.fromClient(ws, data.toString(), isBinary));
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', (e) =>
      this.opts.logger.warn({ alias: this.info.alias, error: e }, 'terminal client failed'),
    );
  }

  /** The shell's exit code once it exited; undefined while it runs. */
  get exitCode(): number | undefined {
    return this.exit;
  }

  /** The scrollback as text, escape sequences included (what a client attaching now would replay). */
  scrollbackText(): string {
    const bytes = Buffer.concat(this.scrollback);
    // trimming to SCROLLBACK_BYTES may have cut a UTF-8 character: drop its continuation bytes
    let start = 0;
    while (start < bytes.length && start < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
    return bytes.subarray(start).toString('utf8');
  }

  /**
   * Hangs up the shell (shutdown or explicit close); resolves once it exited. A shell that is
   * still there after `graceMs` (it ignores SIGHUP, or the signal came while it was exec'ing and
   * was lost) is killed, with its process group.
   */
  hangUp(graceMs = HANG_UP_GRACE_MS): Promise<void> {
    if (this.exit !== undefined) return Promise.resolve();
    this.signal('SIGHUP');
    const timer = setTimeout(() => {
      this.opts.logger.warn({ alias: this.info.alias, graceMs }, 'the shell outlived its hang-up: killed');
      this.signal('SIGKILL', true);
    }, graceMs);
    return this.exited$.then(() => clearTimeout(timer));
  }

  private signal(signal: NodeJS.Signals, group = false): void {
    try {
      // the shell leads its own session, so its process group has its id
      if (group) process.kill(-this.pty.pid, signal);
      else this.pty.kill(signal);
    } catch (e) {
      // the process may be gone already; the exit handler cleans up either way
      this.opts.logger.warn({ alias: this.info.alias, signal, error: e }, 'signalling the shell failed');
    }
  }

  private fromClient(ws: WebSocket, text: string, isBinary: boolean): void {
    if (isBinary) return void ws.close(1008, 'send JSON text frames, not binary');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return void ws.close(1008, 'invalid JSON in text frame'); // the client is told why; nothing else to do
    }
    const msg = terminalClientMessageSchema.safeParse(parsed);
    if (!msg.success)
      return void ws.close(1008, closeReason(`bad message: ${formatIssues(msg.error.issues).join('; ')}`));
    switch (msg.data.type) {
      case 'input':
        this.pty.write(msg.data.data);
        return;
      case 'resize':
        this.pty.resize(msg.data.cols, msg.data.rows);
        return;
    }
  }

  private output(chunk: Buffer): void {
    this.scrollback.push(chunk);
    this.scrollbackSize += chunk.length;
    while (this.scrollbackSize > SCROLLBACK_BYTES) {
      const first = this.scrollback[0] as Buffer;
      const excess = this.scrollbackSize - SCROLLBACK_BYTES;
      if (first.length <= excess) {
        this.scrollback.shift();
        this.scrollbackSize -= first.length;
      } else {
        this.scrollback[0] = first.subarray(excess);
        this.scrollbackSize -= excess;
      }
    }
    for (const ws of this.clients) ws.send(chunk, { binary: true });
    if (!this.drainTimer && this.congested()) this.pause();
  }

  private congested(): boolean {
    for (const ws of this.clients) if (ws.bufferedAmount > HIGH_WATER_BYTES) return true;
    return false;
  }

  private pause(): void {
    this.pty.pause();
    this.drainTimer = setInterval(() => {
      if (this.congested()) return;
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
      this.pty.resume();
    }, 20);
  }

  private exited(code: number): void {
    this.exit = code;
    clearInterval(this.drainTimer);
    this.opts.logger.info({ alias: this.info.alias, exitCode: code }, 'terminal exited');
    for (const ws of this.clients) ws.close(1000, `exit ${code}`);
    this.clients.clear();
    this.opts.onExit(this);
    this.markExited();
  }
}

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= 123
    ? text
    : `${buf
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}
