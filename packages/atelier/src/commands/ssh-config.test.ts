// The ~/.ssh/config text of `atelier ssh-config`, as OpenSSH reads it back (ssh -G).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { WorkspaceDto } from '@atelier/protocol';
import { sshConfig } from './ssh-config.js';

const ws = (id: string, ssh: WorkspaceDto['ssh']) => ({ id, ssh }) as WorkspaceDto;

describe('sshConfig', () => {
  it('one Host block per workspace that ssh -G resolves to the gateway, user and port', () => {
    const text = sshConfig('https://atelier.example.com', [
      ws('amber-fox-1234abcd', { host: 'atelier.example.com', port: 2222, user: 'amber-fox-1234abcd' }),
      ws('blue-owl-99887766', { host: 'atelier.example.com', port: 2222, user: 'blue-owl-99887766' }),
    ]);
    assert.match(text, /^# Atelier workspaces at https:\/\/atelier\.example\.com/);
    const dir = mkdtempSync(join(tmpdir(), 'ssh-config-'));
    try {
      writeFileSync(join(dir, 'config'), text);
      const resolved = execFileSync('ssh', ['-G', '-F', join(dir, 'config'), 'blue-owl-99887766']).toString();
      assert.match(resolved, /^hostname atelier\.example\.com$/m);
      assert.match(resolved, /^port 2222$/m);
      assert.match(resolved, /^user blue-owl-99887766$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when there are no workspaces, and refuses when the gateway is off', () => {
    assert.match(sshConfig('http://localhost:8080', []), /# \(you have no workspaces yet\)/);
    assert.throws(() => sshConfig('http://localhost:8080', [ws('amber-fox-1234abcd', null)]), {
      code: 'failed_precondition',
      message: 'the SSH gateway of http://localhost:8080 is off (config: ssh.enabled)',
    });
  });
});
