// OpenSSH client options for tests and benchmarks: no known_hosts, no agent keys, no prompts.
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
