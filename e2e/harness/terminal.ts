// A terminal session in a workspace over the supervisor's WebSocket, through the proxy as the owner.
import WebSocket from 'ws';
import { request } from './http.js';

export class TerminalSession {
  private output = '';
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.output += data.toString('utf8');
    });
  }

  static async open(workspaceUrl: string, ownerToken: string): Promise<TerminalSession> {
    const headers = { 'x-atelier-owner-token': ownerToken, 'content-type': 'application/json' };
    const opened = await request(`${workspaceUrl}/_supervisor/v1/terminal/open`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ cols: 120, rows: 30 }),
    });
    if (opened.status !== 200 && opened.status !== 201)
      throw new Error(`terminal open → ${opened.status} ${opened.body}`);
    const { alias } = JSON.parse(opened.body) as { alias: string };
    const u = new URL(workspaceUrl);
    const socket = new WebSocket(`ws://127.0.0.1:${u.port}/_supervisor/v1/terminal/attach/${alias}`, {
      headers: { host: u.host, 'x-atelier-owner-token': ownerToken },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`terminal attach → ${res.statusCode}`)),
      );
    });
    return new TerminalSession(socket);
  }

  type(text: string): void {
    this.socket.send(JSON.stringify({ type: 'input', data: text }));
  }

  /** Resolves when the terminal's output so far matches; rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = pattern.exec(this.output);
      if (m) return m[0];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`terminal never showed ${pattern}; last output:\n${this.output.slice(-2000)}`);
  }

  close(): void {
    this.socket.close();
  }
}
