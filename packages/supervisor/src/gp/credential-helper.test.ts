// `gp credential-helper`: git's protocol on stdin, the owner's token from the API on stdout, and
// nothing (with a note on stderr) for a host the installation has no provider for.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parseCredentialInput } from './credential-helper.js';
import { FakeWorkspace } from './fake-workspace.js';

describe('gp credential-helper', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());

  const get = (input: string, op = 'get') => {
    const stdin = new PassThrough();
    stdin.end(input);
    return fake.run(['credential-helper', op], { stdin });
  };

  it('parses git’s key=value lines up to the blank line', () => {
    assert.deepEqual(
      parseCredentialInput('protocol=https\nhost=git.example.com:8443\npath=a/b.git\n\nignored=1\n'),
      {
        protocol: 'https',
        host: 'git.example.com:8443',
        path: 'a/b.git',
      },
    );
  });

  it('answers get with the token as git expects it', async () => {
    const r = await get('protocol=https\nhost=git.example.com\n\n');
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [0, 'username=x-access-token\npassword=scm-token-for-git\n', ''],
    );
  });

  it('a host without a provider: no credentials, a note on stderr, exit 0 so git goes on', async () => {
    const r = await get('protocol=https\nhost=other.example.com\n\n');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /gp: no credentials for other.example.com: no SCM provider is configured/);
  });

  it('store, erase and non-http protocols do nothing', async () => {
    for (const [input, op] of [
      ['protocol=https\nhost=git.example.com\nusername=u\npassword=p\n\n', 'store'],
      ['protocol=https\nhost=git.example.com\n\n', 'erase'],
      ['protocol=ssh\nhost=git.example.com\n\n', 'get'],
    ] as const) {
      const r = await get(input, op);
      assert.deepEqual([r.code, r.stdout], [0, ''], `${op} ${input}`);
    }
  });
});
