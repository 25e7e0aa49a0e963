// The terminal page: opens (or re-attaches to) a workspace terminal and shows it with xterm.js.
// Requests use same-origin paths; the proxy in front adds the supervisor token.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

const API = '/_supervisor/v1';
const SESSION_KEY = 'atelier-terminal-alias';

interface TerminalInfo {
  alias: string;
}

interface AtelierTerminal {
  alias: string;
  /** the lines of the active buffer, right-trimmed, without trailing empty lines */
  readBuffer(): string[];
  term: Terminal;
}

declare global {
  interface Window {
    atelierTerminal?: AtelierTerminal;
  }
}

const statusBar = document.getElementById('status') as HTMLElement;

/** Typing is activity: the supervisor relays it to the server (which keeps the workspace running). */
const HEARTBEAT_EVERY_MS = 5_000;
let lastHeartbeat = 0;
function heartbeat(): void {
  const now = Date.now();
  if (now - lastHeartbeat < HEARTBEAT_EVERY_MS) return;
  lastHeartbeat = now;
  void fetch(`${API}/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source: 'terminal' }),
  }).catch(() => {
    lastHeartbeat = 0; // not delivered: the next key press tries again
  });
}
function setStatus(state: 'connecting' | 'connected' | 'disconnected' | 'exit', text: string): void {
  statusBar.dataset.state = state;
  statusBar.textContent = `${document.title} — ${text}`;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${API}/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: show the raw answer
    }
    throw new Error(`${method} ${path}: ${res.status} ${message}`);
  }
  return JSON.parse(text) as T;
}

/** The alias this tab used before (reload) if that terminal still runs, else a new terminal. */
async function terminalAlias(cols: number, rows: number): Promise<string> {
  const previous = sessionStorage.getItem(SESSION_KEY);
  if (previous) {
    const { terminals } = await api<{ terminals: TerminalInfo[] }>('GET', 'terminal/list');
    if (terminals.some((t) => t.alias === previous)) return previous;
  }
  const opened = await api<TerminalInfo>('POST', 'terminal/open', { cols, rows });
  sessionStorage.setItem(SESSION_KEY, opened.alias);
  return opened.alias;
}

function readBuffer(term: Terminal): string[] {
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function attach(term: Terminal, alias: string, onGone: () => void): void {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}${API}/terminal/attach/${encodeURIComponent(alias)}`);
  ws.binaryType = 'arraybuffer';
  const send = (msg: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(msg));
  const input = term.onData((data) => {
    send({ type: 'input', data });
    heartbeat();
  });
  const resize = term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
  ws.onopen = () => {
    term.reset(); // the server replays its scrollback on every attach
    setStatus('connected', 'connected');
    send({ type: 'resize', cols: term.cols, rows: term.rows });
    term.focus();
  };
  ws.onmessage = (ev) => {
    if (ev.data instanceof ArrayBuffer) term.write(new Uint8Array(ev.data));
  };
  ws.onclose = (ev) => {
    input.dispose();
    resize.dispose();
    if (ev.code === 1000 && ev.reason.startsWith('exit')) {
      sessionStorage.removeItem(SESSION_KEY);
      setStatus('exit', `the shell ended (${ev.reason}) — reload for a new terminal`);
      return;
    }
    setStatus('disconnected', `disconnected${ev.reason ? `: ${ev.reason}` : ''} — reconnecting…`);
    setTimeout(onGone, 2000);
  };
}

async function main(): Promise<void> {
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(document.getElementById('terminal') as HTMLElement);
  fit.fit();
  window.addEventListener('resize', () => fit.fit());
  const connect = async (): Promise<void> => {
    setStatus('connecting', 'connecting…');
    try {
      const alias = await terminalAlias(term.cols, term.rows);
      window.atelierTerminal = { alias, readBuffer: () => readBuffer(term), term };
      attach(term, alias, () => void connect());
    } catch (e) {
      setStatus('disconnected', `${e instanceof Error ? e.message : String(e)} — retrying…`);
      setTimeout(() => void connect(), 3000);
    }
  };
  await connect();
}

void main();
