// OpenSSH clients for tests and benchmarks: options without known_hosts, agent keys or prompts, and a
// runner that collects a tool's output and exit code.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const QUIET_SSH_OPTIONS = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'IdentitiesOnly=yes',
];

export interface SshRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an OpenSSH tool against `port` without a terminal or an agent, killed after 60 s; with
 * `password`, it is typed by an SSH_ASKPASS script written into `workDir` (BatchMode would forbid
 * asking).
 */
export function openssh(
  tool: 'ssh' | 'scp' | 'sftp',
  args: string[],
  opts: { port: number; workDir: string; input?: string; password?: string },
): Promise<SshRun> {
  const { password } = opts;
  const port = tool === 'ssh' ? ['-p', String(opts.port)] : ['-P', String(opts.port)];
  const common = [
    ...QUIET_SSH_OPTIONS,
    '-o',
    `BatchMode=${password === undefined ? 'yes' : 'no'}`,
    '-o',
    'ConnectTimeout=20',
    ...port,
  ];
  const askpass = join(opts.workDir, 'askpass.sh');
  if (password !== undefined) {
    writeFileSync(join(opts.workDir, 'password'), password);
    writeFileSync(askpass, `#!/bin/sh\ncat '${join(opts.workDir, 'password')}'\n`, { mode: 0o700 });
  }
  return new Promise((resolve, reject) => {
    // setsid: no controlling terminal, so ssh asks SSH_ASKPASS
    const [file, argv] =
      password === undefined ? [tool, [...common, ...args]] : ['setsid', ['-w', tool, ...common, ...args]];
    const child = spawn(file, argv, {
      env: {
        ...process.env,
        SSH_AUTH_SOCK: '',
        ...(password === undefined
          ? {}
          : { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
