// Issue 4's proxy acceptance on Podman: a WebSocket echo through a port host (a stdlib-only Python
// echo server in the workspace) and a 1 GiB download through the proxy, counted as it arrives.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { AtelierProcess } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request } from './harness/http.js';

/** RFC 6455 echo, text and binary, any length; one thread per connection */
const WS_ECHO = `import socket, threading, hashlib, base64, struct
GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
def serve(c):
    data = b''
    while b'\\r\\n\\r\\n' not in data:
        data += c.recv(4096)
    key = [l.split(b':', 1)[1].strip() for l in data.split(b'\\r\\n') if l.lower().startswith(b'sec-websocket-key')][0]
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    c.sendall(b'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + b'\\r\\n\\r\\n')
    f = c.makefile('rb')
    while True:
        head = f.read(2)
        if len(head) < 2:
            return
        op, n = head[0] & 15, head[1] & 127
        if n == 126:
            n = struct.unpack('>H', f.read(2))[0]
        elif n == 127:
            n = struct.unpack('>Q', f.read(8))[0]
        mask = f.read(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(f.read(n)))
        if op == 8:
            c.sendall(b'\\x88\\x00')
            return
        size = bytes([n]) if n < 126 else b'\\x7e' + struct.pack('>H', n) if n < 65536 else b'\\x7f' + struct.pack('>Q', n)
        c.sendall(bytes([0x80 | op]) + size + payload)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 8002))
s.listen()
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;

const GIB = 1024 * 1024 * 1024;
let git: GitServer;
let atelier: AtelierProcess;
let token: string;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'streams', {
    '.gitpod.yml': [
      'ports:',
      '  - port: 8000',
      '    visibility: public',
      '  - port: 8002',
      '    visibility: public',
      'tasks:',
      '  - name: servers',
      // a sparse 1 GiB file outside the checkout, served by a plain HTTP server
      `    command: python3 ws_echo.py & mkdir -p /tmp/big && truncate -s ${GIB} /tmp/big/gib.bin && python3 -m http.server 8000 -d /tmp/big`,
    ].join('\n'),
    'ws_echo.py': WS_ECHO,
  });
  atelier = await AtelierProcess.start({ name: 'proxy-streams' });
  token = await atelier.createUser('streams-user');
});

after(async () => {
  await atelier?.dispose();
  await git?.close();
});

interface Ws {
  instance: { failed: string | null } | null;
  ports: { port: number; state: string }[];
}

async function waitForServed(id: string, ports: number[]): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ws = await api<Ws>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}`);
    if (ws.instance?.failed) throw new Error(ws.instance.failed);
    const served = ws.ports.filter((p) => p.state === 'served').map((p) => p.port);
    if (ports.every((p) => served.includes(p))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ports ${ports.join(', ')} were not served`);
}

test('WebSocket echo through a port host; a 1 GiB download through the proxy completes', {
  timeout: 300_000,
}, async (t) => {
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/streams.git`,
  });
  await waitForServed(id, [8000, 8002]);
  const host = (port: number) => `${port}-${id}.ws.localhost:${atelier.port}`;

  const ws = new WebSocket(`ws://127.0.0.1:${atelier.port}/echo`, { headers: { host: host(8002) } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
  const next = () => new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
  ws.send('hello');
  assert.equal(String(await next()), 'hello');
  const big = Buffer.alloc(256 * 1024, 9);
  ws.send(big);
  assert.ok((await next()).equals(big), 'a 256 KiB binary frame comes back unchanged');
  ws.close();

  assert.equal((await request(`http://${host(8000)}/`)).status, 200);
  const started = performance.now();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port: atelier.port,
        path: '/gib.bin',
        headers: { host: host(8000) },
        agent: false,
      },
      resolve,
    );
    req.once('error', reject);
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-length'], String(GIB));
  let received = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) received += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(
    `1 GiB through the proxy in ${seconds.toFixed(1)} s (${(GIB / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
  assert.equal(received, GIB);
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
});
