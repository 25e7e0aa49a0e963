// One attachment to a task's terminal in the supervisor (WebSocket, /v1/terminal/attach/<alias>), with
// reconnects while the task runs. Uses the `ws` package (bundled): it runs on any Node the extension
// host has, and it exposes the HTTP status of a refused upgrade (404: the terminal is gone).
import type { TerminalClientMessage } from '@atelier/protocol';
import WebSocket from 'ws';
import { Backoff } from './reconnect.js';

/** Input typed before the socket is open waits, up to this much; more is dropped. */
const MAX_QUEUED_INPUT = 64 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** xterm's full reset (RIS): the supervisor replays the scrollback on each attach, so a reconnect starts clean. */
export const RESET_SCREEN = '\x1bc';

export interface TerminalConnectionEvents {
  /** text for the screen, decoded as UTF-8 across frame boundaries */
  output(text: string): void;
  /** the task's terminal ended (`code` from the close reason `exit <code>`, when the supervisor said it) */
  exited(code: number | undefined): void;
  /** the socket is open, first time or again */
  connected(): void;
  log(message: string): void;
}

export interface Dimensions {
  columns: number;
  rows: number;
}

/** How a socket ended, read from its close code and reason or the refused upgrade. */
export type CloseOutcome = { kind: 'exited'; code: number | undefined } | { kind: 'lost'; why: string };

/** The supervisor closes with 1000 `exit <code>` when the shell ends; a 404 on attach means it is gone. */
export function closeOutcome(code: number, reason: string, upgradeStatus?: number): CloseOutcome {
  if (upgradeStatus === 404) return { kind: 'exited', code: undefined };
  if (upgradeStatus !== undefined)
    return { kind: 'lost', why: `the supervisor refused with HTTP ${upgradeStatus}` };
  const exit = /^exit (-?\d+)/.exec(reason);
  if (code === 1000 && exit) return { kind: 'exited', code: Number(exit[1]) };
  return { kind: 'lost', why: `closed with ${code}${reason ? ` (${reason})` : ''}` };
}

export class TerminalConnection {
  private socket: WebSocket | undefined;
  private dimensions: Dimensions | undefined;
  private queued = '';
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  /** the "reconnecting" line is on the screen (once per outage; the reset on reconnect wipes it) */
  private lostShown = false;

  constructor(
    private readonly url: string,
    private readonly events: TerminalConnectionEvents,
    private readonly backoff = new Backoff(),
  ) {}

  /** Connects (the terminal was opened); `dimensions` is the terminal's size when VS Code knows it. */
  start(dimensions?: Dimensions): void {
    if (dimensions) this.dimensions = dimensions;
    this.connect();
  }

  input(data: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) return void this.send({ type: 'input', data });
    if (this.queued.length + data.length <= MAX_QUEUED_INPUT) this.queued += data;
  }

  resize(dimensions: Dimensions): void {
    this.dimensions = dimensions;
    if (this.socket?.readyState === WebSocket.OPEN) this.sendSize();
  }

  /** Detaches for good (the user closed the terminal); the task keeps running in the supervisor. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'detached');
    this.socket = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.url, {
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    this.socket = socket;
    const decoder = new TextDecoder('utf-8');
    let upgradeStatus: number | undefined;
    socket.on('unexpected-response', (req, res) => {
      upgradeStatus = res.statusCode;
      res.resume(); // the error body is not needed: the status says what happened
      req.destroy();
      socket.terminate();
    });
    socket.on('open', () => {
      this.backoff.reset();
      this.lostShown = false;
      if (this.attempts++ > 0) this.events.output(RESET_SCREEN);
      this.events.connected();
      if (this.dimensions) this.sendSize();
      if (this.queued) this.send({ type: 'input', data: this.queued });
      this.queued = '';
    });
    socket.on('message', (data, isBinary) => {
      // the protocol sends output as binary frames only; text frames carry nothing for a client
      if (isBinary) this.events.output(decoder.decode(asBytes(data), { stream: true }));
    });
    socket.on('error', (e) => {
      if (upgradeStatus === undefined) this.events.log(`terminal ${this.url}: ${e.message}`);
    });
    socket.on('close', (code, reasonBuffer) => {
      const tail = decoder.decode();
      if (tail) this.events.output(tail);
      if (this.socket !== socket || this.stopped) return;
      this.socket = undefined;
      const outcome = closeOutcome(code, reasonBuffer.toString('utf8'), upgradeStatus);
      if (outcome.kind === 'exited') return this.events.exited(outcome.code);
      const delay = this.backoff.next();
      this.events.log(`terminal ${this.url}: ${outcome.why}; reconnecting in ${delay} ms`);
      if (!this.lostShown)
        this.events.output(`\r\n\x1b[2m[connection lost: ${outcome.why}; reconnecting…]\x1b[0m\r\n`);
      this.lostShown = true;
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private sendSize(): void {
    const { columns, rows } = this.dimensions ?? { columns: 80, rows: 24 };
    this.send({ type: 'resize', cols: clampSize(columns), rows: clampSize(rows) });
  }

  private send(message: TerminalClientMessage): void {
    this.socket?.send(JSON.stringify(message));
  }
}

/** The protocol accepts 1…1000 columns and rows. */
function clampSize(n: number): number {
  return Math.min(1000, Math.max(1, Math.floor(n)));
}

function asBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
