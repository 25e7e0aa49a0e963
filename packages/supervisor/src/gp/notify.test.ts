// `gp open` and `gp preview`: absolute paths, localhost URLs turned into port URLs, and the message when
// no IDE window listens (412).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultInfo, FakeWorkspace } from './fake-workspace.js';
import { localPort, NO_IDE_WINDOW, parsePreviewUrl, workspaceUrlOf } from './notify.js';

describe('preview URLs', () => {
  const info = defaultInfo();
  const preview = (input: string) => {
    const url = parsePreviewUrl(input);
    if (!url) return undefined;
    const port = localPort(url);
    return port === undefined ? url.toString() : workspaceUrlOf(url, port, info);
  };
  const cases: [string, string | undefined][] = [
    ['http://localhost:3000', 'https://3000-amber-fox-1234abcd.ws.example.com/'],
    ['localhost:8080/docs?q=1#top', 'https://8080-amber-fox-1234abcd.ws.example.com/docs?q=1#top'],
    ['http://127.0.0.1:5173/app', 'https://5173-amber-fox-1234abcd.ws.example.com/app'],
    ['http://0.0.0.0:4000', 'https://4000-amber-fox-1234abcd.ws.example.com/'],
    ['http://localhost', 'https://80-amber-fox-1234abcd.ws.example.com/'],
    ['https://example.org/page', 'https://example.org/page'],
    ['example.org', 'http://example.org/'],
    ['ftp://example.org', undefined],
    ['http://', undefined],
  ];
  for (const [input, expected] of cases)
    it(`${input} → ${expected}`, () => assert.equal(preview(input), expected));
});

describe('gp open and gp preview', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.ideWindows = 1;
    fake.state.notifications = [];
  });

  it('opens files by their absolute path', async () => {
    const r = await fake.run(['open', 'src/app.ts', '/etc/hosts', '../README.md'], {
      cwd: '/workspace/widgets',
    });
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(fake.state.notifications, [
      { kind: 'open', path: '/workspace/widgets/src/app.ts', wait: false },
      { kind: 'open', path: '/etc/hosts', wait: false },
      { kind: 'open', path: '/workspace/README.md', wait: false },
    ]);
  });

  it('previews a URL, in the IDE or a browser tab', async () => {
    assert.equal((await fake.run(['preview', 'localhost:3000/x'])).code, 0);
    assert.equal((await fake.run(['preview', 'https://example.org', '--external'])).code, 0);
    assert.deepEqual(fake.state.notifications, [
      { kind: 'preview', url: 'https://3000-amber-fox-1234abcd.ws.example.com/x', external: false },
      { kind: 'preview', url: 'https://example.org/', external: true },
    ]);
    const bad = await fake.run(['preview', 'ftp://example.org']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gp: 'ftp:\/\/example\.org' is not a URL/);
  });

  it('says to open the IDE when no window listens (412), exit 1', async () => {
    fake.state.ideWindows = 0;
    for (const argv of [
      ['open', 'a.txt'],
      ['preview', 'http://localhost:3000'],
    ]) {
      const r = await fake.run(argv);
      assert.deepEqual(r, { code: 1, stdout: '', stderr: `gp: ${NO_IDE_WINDOW}\n` }, argv.join(' '));
    }
    assert.equal(NO_IDE_WINDOW, 'no VS Code window is open for this workspace: open it in the browser first');
  });

  it('needs a file', async () => {
    const r = await fake.run(['open']);
    assert.deepEqual(r, { code: 2, stdout: '', stderr: 'gp: missing argument\nusage: gp open <file> ...\n' });
  });
});
