// The SSH gateway with the real OpenSSH client against workspaces on Podman: exec with its exit
// code, a shell with a pty, scp both ways, sftp, -L to a port in the workspace, and every way in
// that is not the owner's refused. Then the authorization matrix: two users, each against the
// other's workspace, through the API, the IDE host, a private port, a public port and SSH — only
// the public port answers.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AtelierProcess, freePort } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase } from './harness/http.js';
import { QUIET_SSH_OPTIONS, openssh as runOpenSsh, type SshRun } from './harness/openssh.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
  ports: { port: number; url: string; state: string; visibility: string }[];
  url: string;
  ssh: { host: string; port: number; user: string } | null;
}

let git: GitServer;
let atelier: AtelierProcess;
const dir = mkdtempSync(join(tmpdir(), 'atelier-e2e-ssh-'));

interface Person {
  name: string;
  token: string;
  key: string;
  ws: Ws;
  ownerToken: string;
}
const people: Record<'alice' | 'bob', Person> = {} as Record<'alice' | 'bob', Person>;

/** A new ed25519 key pair; resolves to the private key's path. */
function keygen(name: string): Promise<string> {
  const file = join(dir, name);
  return new Promise((resolve, reject) =>
    execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], (e) =>
      e ? reject(e) : resolve(file),
    ),
  );
}

type Run = SshRun;

/** An OpenSSH tool against this test's gateway (with `password`, typed by SSH_ASKPASS). */
const openssh = (tool: 'ssh' | 'scp' | 'sftp', args: string[], input = '', password?: string): Promise<Run> =>
  runOpenSsh(tool, args, {
    port: atelier.sshPort,
    workDir: dir,
    input,
    ...(password === undefined ? {} : { password }),
  });

const withKey = (who: Person) => ['-i', who.key, '-o', 'PasswordAuthentication=no'];
const noKey = ['-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no'];

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'site', {
    '.gitpod.yml': [
      'ports:',
      '  - port: 8000',
      '    visibility: public',
      '  - port: 8001',
      'tasks:',
      '  - name: servers',
      '    command: python3 -m http.server 8000 & python3 -m http.server 8001',
    ].join('\n'),
    'index.html': 'hello over ssh\n',
  });
  atelier = await AtelierProcess.start({ name: 'ssh' });
  for (const name of ['alice', 'bob'] as const) {
    const token = await atelier.createUser(name);
    const key = await keygen(name);
    await api(atelier.url, token, 'POST', '/api/v1/user/ssh-keys', {
      publicKey: readFileSync(`${key}.pub`, 'utf8'),
    });
    const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
      contextUrl: `${git.url}/site.git`,
    });
    people[name] = { name, token, key, ws: { id } as Ws, ownerToken: '' };
  }
  for (const who of Object.values(people)) {
    who.ws = await waitForPhase<Ws>(atelier.url, who.token, who.ws.id, 'running');
    who.ownerToken = (
      await api<{ ownerToken: string }>(
        atelier.url,
        who.token,
        'GET',
        `/api/v1/workspaces/${who.ws.id}/owner-token`,
      )
    ).ownerToken;
    // both servers of the task listen
    for (let i = 0; i < 300; i++) {
      const ws = await api<Ws>(atelier.url, who.token, 'GET', `/api/v1/workspaces/${who.ws.id}`);
      if (ws.ports.filter((p) => p.state === 'served').length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

after(async () => {
  await atelier?.dispose();
  await git?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('ssh exec with a key, with the token in the user name and as password: output, stderr, exit code, as gitpod in the checkout', {
  timeout: 120_000,
}, async () => {
  const alice = people.alice;
  assert.deepEqual(alice.ws.ssh, { host: 'localhost', port: atelier.sshPort, user: alice.ws.id });
  const script = 'echo "id=$GITPOD_WORKSPACE_ID user=$(whoami) dir=$PWD"; echo to-stderr >&2; exit 7';
  const byKey = await openssh('ssh', [...withKey(alice), `${alice.ws.id}@127.0.0.1`, script]);
  assert.equal(byKey.code, 7, byKey.stderr);
  assert.equal(byKey.stdout, `id=${alice.ws.id} user=gitpod dir=/workspace/site\n`);
  assert.equal(byKey.stderr, 'to-stderr\n');

  const byToken = await openssh('ssh', [
    ...noKey,
    `${alice.ws.id}#${alice.ownerToken}@127.0.0.1`,
    'cat index.html',
  ]);
  assert.equal(byToken.code, 0, byToken.stderr);
  assert.equal(byToken.stdout, 'hello over ssh\n');

  const stdin = await openssh(
    'ssh',
    [...withKey(alice), `${alice.ws.id}@127.0.0.1`, 'wc -c'],
    'x'.repeat(100_000),
  );
  assert.equal(stdin.stdout.trim(), '100000', 'stdin reaches the command, and its end too');
});

test('ssh -tt: a login shell with a pty of the client size; its exit code comes back', {
  timeout: 120_000,
}, async () => {
  const alice = people.alice;
  const shell = await openssh(
    'ssh',
    [...withKey(alice), '-tt', `${alice.ws.id}@127.0.0.1`],
    'stty size; tty; echo "term=$TERM"; exit 3\n',
  );
  assert.equal(shell.code, 3, shell.stderr);
  assert.match(shell.stdout, /\d+ \d+/);
  assert.match(shell.stdout, /\/dev\/pts\/\d+/);
  assert.match(shell.stdout, /term=\S+/);
});

test('scp both ways and sftp: byte-identical, owned by the workspace user', {
  timeout: 180_000,
}, async () => {
  const alice = people.alice;
  const target = `${alice.ws.id}@127.0.0.1`;
  const payload = randomBytes(8 * 1024 * 1024);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  writeFileSync(join(dir, 'up.bin'), payload);

  const up = await openssh('scp', [
    ...withKey(alice),
    join(dir, 'up.bin'),
    `${target}:/workspace/site/up.bin`,
  ]);
  assert.equal(up.code, 0, up.stderr);
  const check = await openssh('ssh', [...withKey(alice), target, 'sha256sum up.bin; stat -c %U up.bin']);
  assert.equal(check.stdout, `${sha(payload)}  up.bin\ngitpod\n`);
  const down = await openssh('scp', [
    ...withKey(alice),
    `${target}:/workspace/site/up.bin`,
    join(dir, 'down.bin'),
  ]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(sha(readFileSync(join(dir, 'down.bin'))), sha(payload));

  const batch = join(dir, 'batch');
  writeFileSync(
    batch,
    ['pwd', 'ls', `get index.html ${join(dir, 'got.html')}`, 'mkdir made-by-sftp', 'bye', ''].join('\n'),
  );
  const sftp = await openssh('sftp', [...withKey(alice), '-b', batch, target]);
  assert.equal(sftp.code, 0, sftp.stderr);
  assert.match(sftp.stdout, /\/workspace\/site/);
  assert.match(sftp.stdout, /index\.html/);
  assert.equal(readFileSync(join(dir, 'got.html'), 'utf8'), 'hello over ssh\n');
  const made = await openssh('ssh', [...withKey(alice), target, 'test -d made-by-sftp && echo yes']);
  assert.equal(made.stdout, 'yes\n');
});

test('ssh -L forwards a local port to a port inside the workspace', { timeout: 120_000 }, async () => {
  const alice = people.alice;
  const local = await freePort();
  const tunnel = spawn(
    'ssh',
    [
      ...QUIET_SSH_OPTIONS,
      ...['-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes'],
      ...['-p', String(atelier.sshPort), ...withKey(alice), '-N'],
      ...['-L', `127.0.0.1:${local}:127.0.0.1:8001`, `${alice.ws.id}@127.0.0.1`],
    ],
    { stdio: 'ignore', env: { ...process.env, SSH_AUTH_SOCK: '' } },
  );
  try {
    let body = '';
    for (let i = 0; i < 100 && !body; i++) {
      body = await request(`http://127.0.0.1:${local}/index.html`).then(
        (r) => (r.status === 200 ? r.body : ''),
        () => '',
      );
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(body, 'hello over ssh\n', 'the private port 8001 answers through the tunnel');
  } finally {
    tunnel.kill();
  }
});

test('refused: a wrong token, another user’s key, another user’s token, an unknown workspace', {
  timeout: 120_000,
}, async () => {
  const { alice, bob } = people;
  const attempts: [string, string[]][] = [
    ['wrong token', [...noKey, `${alice.ws.id}#${'x'.repeat(alice.ownerToken.length)}@127.0.0.1`]],
    ["bob's key", [...withKey(bob), `${alice.ws.id}@127.0.0.1`]],
    ["bob's owner token", [...noKey, `${alice.ws.id}#${bob.ownerToken}@127.0.0.1`]],
    ['unknown workspace', [...withKey(alice), 'nosuch-work-space0001@127.0.0.1']],
    ['not a workspace id', [...withKey(alice), 'root@127.0.0.1']],
  ];
  for (const [what, args] of attempts) {
    const r = await openssh('ssh', [...args, 'echo in']);
    assert.equal(r.code, 255, `${what}: ${r.stdout} ${r.stderr}`);
    assert.match(r.stderr, /Permission denied/, what);
    assert.equal(r.stdout, '', what);
  }
});

test('authorization matrix: each user against the other’s workspace — only the public port answers', {
  timeout: 120_000,
}, async () => {
  const answered: string[] = [];
  for (const [caller, ownerName] of [
    ['alice', 'bob'],
    ['bob', 'alice'],
  ] as const) {
    const me = people[caller];
    const victim = people[ownerName].ws;
    const portUrl = (port: number) => victim.ports.find((p) => p.port === port)?.url as string;
    // what the caller holds: an API token, and the owner token of their own workspace
    const credentials: Record<string, Record<string, string>> = {
      'no credential': {},
      'own API token': { authorization: `Bearer ${me.token}` },
      'own owner token': { 'x-gitpod-owner-token': me.ownerToken },
    };
    const cases: [string, () => Promise<number>][] = [
      [
        'API read',
        async () =>
          (
            await request(`${atelier.url}/api/v1/workspaces/${victim.id}`, {
              headers: credentials['own API token'],
            })
          ).status,
      ],
      [
        'API stop',
        async () =>
          (
            await request(`${atelier.url}/api/v1/workspaces/${victim.id}/stop`, {
              method: 'POST',
              headers: credentials['own API token'],
            })
          ).status,
      ],
    ];
    for (const [label, headers] of Object.entries(credentials)) {
      cases.push([`IDE host, ${label}`, async () => (await request(`${victim.url}/`, { headers })).status]);
      cases.push([
        `private port, ${label}`,
        async () => (await request(`${portUrl(8001)}/`, { headers })).status,
      ]);
      cases.push([
        `public port, ${label}`,
        async () => (await request(`${portUrl(8000)}/`, { headers })).status,
      ]);
    }
    cases.push([
      'SSH with own key',
      async () =>
        (await openssh('ssh', [...withKey(me), `${victim.id}@127.0.0.1`, 'true'])).code === 0 ? 200 : 403,
    ]);
    cases.push([
      'SSH with own owner token',
      async () =>
        (await openssh('ssh', [...noKey, `${victim.id}#${me.ownerToken}@127.0.0.1`, 'true'])).code === 0
          ? 200
          : 403,
    ]);
    for (const [label, attempt] of cases) {
      const status = await attempt();
      if (status >= 200 && status < 300) answered.push(`${caller} → ${ownerName}: ${label}`);
    }
  }
  assert.deepEqual(answered, [
    'alice → bob: public port, no credential',
    'alice → bob: public port, own API token',
    'alice → bob: public port, own owner token',
    'bob → alice: public port, no credential',
    'bob → alice: public port, own API token',
    'bob → alice: public port, own owner token',
  ]);
  // nothing was stopped by the attempts
  for (const who of Object.values(people)) {
    const ws = await api<Ws>(atelier.url, who.token, 'GET', `/api/v1/workspaces/${who.ws.id}`);
    assert.equal(ws.instance?.phase, 'running');
  }
});

test('sharing: a shared workspace admits everyone at the IDE host and every port, and not after', {
  timeout: 120_000,
}, async () => {
  const { alice, bob } = people;
  const ide = async () => (await request(`${alice.ws.url}/`)).status;
  const privatePort = async () =>
    (await request(`${alice.ws.ports.find((p) => p.port === 8001)?.url as string}/`)).status;
  assert.notEqual(await privatePort(), 200);
  await api(atelier.url, alice.token, 'PUT', `/api/v1/workspaces/${alice.ws.id}/sharing`, { shared: true });
  assert.equal(await privatePort(), 200, 'a private port of a shared workspace answers anyone');
  assert.equal(await ide(), 200, 'the IDE host answers anyone');
  // SSH stays the owner's: sharing is about URLs
  const ssh = await openssh('ssh', [...withKey(bob), `${alice.ws.id}@127.0.0.1`, 'true']);
  assert.equal(ssh.code, 255);
  await api(atelier.url, alice.token, 'PUT', `/api/v1/workspaces/${alice.ws.id}/sharing`, { shared: false });
  assert.notEqual(await privatePort(), 200);
  assert.notEqual(await ide(), 200, 'unshared again');
});

test('in Chromium: an SSH key added on its page; the start page shows the SSH command and shares the workspace', {
  timeout: 120_000,
}, async () => {
  const alice = people.alice;
  const browser = await launchBrowser();
  try {
    const page = await signedInPage(browser, atelier.url, 'alice', { width: 1280, height: 900 });
    await page.getByRole('link', { name: 'SSH keys' }).click();
    const extra = await keygen('alice-desk');
    await page.getByTestId('ssh-key-text').fill(readFileSync(`${extra}.pub`, 'utf8'));
    await page.getByTestId('add-ssh-key').click();
    const list = page.getByTestId('ssh-key-list');
    await list.getByText('alice-desk').waitFor();
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${extra}.pub`])
      .toString()
      .split(' ')[1] as string;
    assert.ok(((await list.textContent()) ?? '').includes(fingerprint), `${fingerprint} is listed`);
    await screenshot(page, 'ssh-keys-page');
    // the key added in the page opens the gateway
    const r = await openssh('ssh', [
      '-i',
      extra,
      '-o',
      'PasswordAuthentication=no',
      `${alice.ws.id}@127.0.0.1`,
      'echo desk',
    ]);
    assert.equal(r.stdout, 'desk\n', r.stderr);

    await page.goto(`${atelier.url}/start/${alice.ws.id}`);
    const panel = page.getByTestId('access-panel');
    assert.equal(
      await panel.getByTestId('ssh-command').textContent(),
      `ssh -p ${atelier.sshPort} '${alice.ws.id}@localhost'`,
    );
    await panel.getByRole('button', { name: 'Show command' }).click();
    assert.equal(
      await panel.getByTestId('ssh-token-command').textContent(),
      `ssh -p ${atelier.sshPort} '${alice.ws.id}#${alice.ownerToken}@localhost'`,
    );
    assert.match(
      (await panel.getByTestId('vscode-desktop').getAttribute('href')) ?? '',
      new RegExp(
        `^vscode://vscode-remote/ssh-remote\\+${alice.ws.id}%40localhost%3A${atelier.sshPort}/workspace$`,
      ),
    );
    await panel.getByTestId('share-switch').check();
    await panel.getByText(/Shared: whoever has a link/).waitFor();
    await screenshot(page, 'start-page-access');
    const shared = await api<{ shared: boolean }>(
      atelier.url,
      alice.token,
      'GET',
      `/api/v1/workspaces/${alice.ws.id}`,
    );
    assert.equal(shared.shared, true);
    await panel.getByTestId('share-switch').uncheck();
    await panel.getByText(/Shared: whoever has a link/).waitFor({ state: 'detached' });
    const unshared = await api<{ shared: boolean }>(
      atelier.url,
      alice.token,
      'GET',
      `/api/v1/workspaces/${alice.ws.id}`,
    );
    assert.equal(unshared.shared, false);
  } finally {
    await browser.close();
  }
});

test('a stopped workspace says so over SSH', { timeout: 180_000 }, async () => {
  const bob = people.bob;
  await api(atelier.url, bob.token, 'POST', `/api/v1/workspaces/${bob.ws.id}/stop`);
  await waitForPhase(atelier.url, bob.token, bob.ws.id, 'stopped');
  const r = await openssh('ssh', [...withKey(bob), `${bob.ws.id}@127.0.0.1`, 'true']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`workspace ${bob.ws.id} is stopped; start it at http://localhost:\\d+/start/${bob.ws.id}`),
  );
});
