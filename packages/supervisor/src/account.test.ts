import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findAccount, resolveAccount } from './account.js';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment
gitpod:x:33333:33333::/home/gitpod:/bin/bash
`;

describe('findAccount', () => {
  const rows = [
    {
      user: 'gitpod',
      expected: { name: 'gitpod', uid: 33333, gid: 33333, home: '/home/gitpod', shell: '/bin/bash' },
    },
    {
      user: '33333',
      expected: { name: 'gitpod', uid: 33333, gid: 33333, home: '/home/gitpod', shell: '/bin/bash' },
    },
    { user: 'root', expected: { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' } },
    { user: '1234', expected: { name: '1234', uid: 1234, gid: 1234, home: '/', shell: '/bin/sh' } },
    { user: 'nobody-here', expected: undefined },
  ];
  for (const row of rows) it(row.user, () => assert.deepEqual(findAccount(PASSWD, row.user), row.expected));

  it('explains a missing user', () => {
    assert.throws(() => resolveAccount(PASSWD, 'alice'), {
      code: 'failed_precondition',
      message: "the workspace image has no user 'alice' in /etc/passwd — add it to the image or set its USER",
    });
  });
});
