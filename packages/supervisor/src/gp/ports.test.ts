// `gp url`, `gp info` and `gp ports`: URLs from the info's template, the ports table, waiting for a port,
// visibility on the server, and a real TCP forwarder from 0.0.0.0 to a loopback-only server.
import assert from 'node:assert/strict';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Capture, FakeWorkspace, port } from './fake-workspace.js';
import { portRows } from './ports.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port: n } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return n;
}

/** Sends `text` to host:port and resolves with what comes back before the peer closes. */
function roundTrip(host: string, n: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: n }, () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('portRows', () => {
  it('sorts by port and says served or not served', () => {
    const rows = portRows([
      port(8080, { name: 'API' }),
      port(3000, { served: true, state: 'served', visibility: 'public' }),
    ]);
    assert.deepEqual(rows, [
      ['3000', 'served', 'public', 'https://3000-amber-fox-1234abcd.ws.example.com', ''],
      ['8080', 'not served', 'private', 'https://8080-amber-fox-1234abcd.ws.example.com', 'API'],
    ]);
  });
});

describe('gp url, gp info, gp ports', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.ports = [port(3000, { served: true, state: 'served', name: 'App' }), port(9229)];
  });

  it("prints the workspace's URL and a port's URL", async () => {
    assert.deepEqual(await fake.run(['url']), {
      code: 0,
      stdout: 'https://amber-fox-1234abcd.ws.example.com\n',
      stderr: '',
    });
    assert.equal(
      (await fake.run(['url', '3000'])).stdout,
      'https://3000-amber-fox-1234abcd.ws.example.com\n',
    );
    const bad = await fake.run(['url', 'abc']);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "gp: 'abc' is not a port: give a number from 1 to 65535\nusage: gp url [port]\n",
    );
  });

  it('prints the information as a list and as JSON', async () => {
    const r = await fake.run(['info']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Workspace ID +amber-fox-1234abcd$/m);
    assert.match(r.stdout, /^Repository +Acme\/Widgets \(https:\/\/github\.com\/Acme\/Widgets\.git\)$/m);
    assert.match(r.stdout, /^Port URLs +https:\/\/<port>-amber-fox-1234abcd\.ws\.example\.com$/m);
    assert.match(r.stdout, /^SSH +ssh amber-fox-1234abcd@ssh\.example\.com -p 2222$/m);
    const json = JSON.parse((await fake.run(['info', '--json'])).stdout) as Record<string, unknown>;
    assert.equal(json.workspaceId, 'amber-fox-1234abcd');
    assert.equal(json.sshCommand, 'ssh amber-fox-1234abcd@ssh.example.com -p 2222');
  });

  it('lists the ports as a table and as JSON', async () => {
    const r = await fake.run(['ports', 'list']);
    assert.deepEqual(r, {
      code: 0,
      stdout: [
        'PORT  STATE       VISIBILITY  URL                                             NAME',
        '3000  served      private     https://3000-amber-fox-1234abcd.ws.example.com  App',
        '9229  not served  private     https://9229-amber-fox-1234abcd.ws.example.com',
        '',
      ].join('\n'),
      stderr: '',
    });
    const json = JSON.parse((await fake.run(['ports', 'list', '--json'])).stdout) as { port: number }[];
    assert.deepEqual(
      json.map((p) => p.port),
      [3000, 9229],
    );
    fake.state.ports = [];
    const none = await fake.run(['ports', 'list']);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^gp: no ports: /);
  });

  it('awaits a port until it is served', async () => {
    assert.deepEqual(await fake.run(['ports', 'await', '3000']), {
      code: 0,
      stdout: 'port 3000 is served\n',
      stderr: '',
    });
    setTimeout(() => {
      fake.state.ports = [port(9229, { served: true, state: 'served' })];
    }, 200);
    const started = Date.now();
    const later = await fake.run(['ports', 'await', '9229', '--timeout', '10s']);
    assert.equal(later.stdout, 'port 9229 is served\n');
    assert.ok(Date.now() - started >= 150);
  });

  it('gives up after --timeout, exit 1', async () => {
    const r = await fake.run(['ports', 'await', '9229', '--timeout', '300ms']);
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr: 'gp: nothing listens on port 9229 yet: gave up waiting\n',
    });
    const bad = await fake.run(['ports', 'await', '9229', '--timeout', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gp: --timeout 'soon' is not a duration/);
  });

  it('changes visibility on the server and prints the URL', async () => {
    const r = await fake.run(['ports', 'visibility', '3000:public']);
    assert.deepEqual(r, {
      code: 0,
      stdout: 'port 3000 is public: https://3000-amber-fox-1234abcd.ws.example.com\n',
      stderr: '',
    });
    assert.equal(fake.state.ports.find((p) => p.port === 3000)?.visibility, 'public');
    const bad = await fake.run(['ports', 'visibility', '3000:open']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gp: '3000:open' is not <port>:<private\|public>, e\.g\. 3000:public\n/);
  });

  it('forwards 0.0.0.0:<target> to a server on 127.0.0.1 until interrupted', async () => {
    const echo = net.createServer((s) => s.on('data', (d: Buffer) => s.end(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const local = (echo.address() as net.AddressInfo).port;
    const target = await freePort();
    const stop = new AbortController();
    const stderr = new Capture();
    const running = fake.run(['ports', 'expose', String(local), String(target)], {
      stderr,
      signal: stop.signal,
    });
    try {
      await stderr.waitFor(`forwarding 0.0.0.0:${target} → 127.0.0.1:${local}; press Ctrl-C to stop`);
      assert.equal(await roundTrip('127.0.0.1', target, 'hi'), 'echo:hi');
      // the container's own address, where the proxy reaches the port
      const external = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (external) assert.equal(await roundTrip(external, target, 'there'), 'echo:there');
      echo.close();
      assert.equal(await roundTrip('127.0.0.1', target, 'x'), '');
      await stderr.waitFor(`nothing listens on 127.0.0.1:${local} (yet)`);
    } finally {
      stop.abort();
      echo.close();
    }
    const r = await running;
    assert.equal(r.code, 0);
    assert.match(r.stderr, new RegExp(`stopped forwarding port ${target}\\n$`));
    await assert.rejects(roundTrip('127.0.0.1', target, 'gone'), /ECONNREFUSED/);
  });

  it('says when the target port is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '0.0.0.0', r));
    const taken = (holder.address() as net.AddressInfo).port;
    const r = await fake.run(['ports', 'expose', '3000', String(taken)]);
    holder.close();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`^gp: port ${taken} is in use on 0\\.0\\.0\\.0: give another target port`),
    );
    const same = await fake.run(['ports', 'expose', '3000', '3000']);
    assert.equal(same.code, 2);
  });
});
