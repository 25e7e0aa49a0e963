// DNS-01 providers: who writes the `_acme-challenge` TXT records. RFC 2136 updates signed with TSIG
// for servers that take them (BIND, Knot, PowerDNS), and an exec hook for any other DNS service.
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { promisify } from 'node:util';
import { AppError } from '@atelier/protocol';
import { type DnsUpdateTarget, dnsUpdate, splitHostPort } from './dns-update.js';

const run = promisify(execFile);

/** Writes and removes one TXT value; `present` returns once the CA can see it. */
export interface Dns01Provider {
  /** for logs: `rfc2136 ns1.example.com:53`, `exec /path/to/hook` (never a secret) */
  readonly description: string;
  present(fqdn: string, value: string): Promise<void>;
  cleanup(fqdn: string, value: string): Promise<void>;
}

/** The TXT record of a DNS-01 challenge: `_acme-challenge.<name>`, a wildcard's without `*.`. */
export function challengeRecordName(identifier: string): string {
  return `_acme-challenge.${identifier.replace(/^\*\./, '')}`;
}

/**
 * RFC 2136 + TSIG: adds the value (other values at the name stay: `<domain>` and `*.<domain>` share
 * one record name), then waits until the server itself answers it, so the CA is only asked to
 * validate once the primary has it. Secondaries are not polled: point `server` at the primary that
 * the zone's NS records name, or raise the CA's patience with a short TTL.
 */
export function rfc2136Provider(
  target: DnsUpdateTarget,
  opts: { visibleWithinMs?: number } = {},
): Dns01Provider {
  return {
    description: `rfc2136 ${target.server} (zone ${target.zone}, key ${target.key.name})`,
    async present(fqdn, value) {
      await dnsUpdate(target, { op: 'add', name: fqdn, value, ttl: 60 });
      await waitForTxt(target.server, fqdn, value, opts.visibleWithinMs ?? 60_000);
    },
    cleanup: (fqdn, value) => dnsUpdate(target, { op: 'delete', name: fqdn, value }),
  };
}

/**
 * A hook for any other DNS service, called as `<command> present|cleanup <fqdn> <value>`. It must
 * exit 0 only once the record is visible to the world (its provider's API usually says so); its
 * stderr goes into the error. The value is a public digest, no secret.
 */
export function execProvider(command: string, opts: { timeoutMs?: number } = {}): Dns01Provider {
  const call = async (action: 'present' | 'cleanup', fqdn: string, value: string) => {
    try {
      await run(command, [action, fqdn, value], { timeout: opts.timeoutMs ?? 300_000 });
    } catch (e) {
      const err = e as { stderr?: string; code?: unknown; message: string };
      const said = (err.stderr ?? '').trim() || err.message;
      throw new AppError(
        'failed_precondition',
        `the tls.acme.challenge.dns01.exec hook (${command} ${action} ${fqdn}) failed: ${said}`,
      );
    }
  };
  return {
    description: `exec ${command}`,
    present: (fqdn, value) => call('present', fqdn, value),
    cleanup: (fqdn, value) => call('cleanup', fqdn, value),
  };
}

/** Polls `server` (no recursion: the authoritative answer) until `name` has the TXT `value`. */
async function waitForTxt(server: string, name: string, value: string, withinMs: number): Promise<void> {
  const [host, port] = splitHostPort(server);
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`${host.includes(':') ? `[${host}]` : host}:${port}`]);
  const deadline = Date.now() + withinMs;
  let last = 'no answer yet';
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    try {
      const records = await resolver.resolveTxt(name);
      if (records.some((parts) => parts.join('') === value)) return;
      last = `${records.length} other TXT value(s)`;
    } catch (e) {
      // NXDOMAIN/NODATA while the update propagates to the zone: keep asking until the deadline
      last = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (Date.now() + delay > deadline)
      throw new AppError(
        'unavailable',
        `the TXT record ${name} did not appear on ${server} within ${withinMs / 1000} s (last answer: ${last})`,
      );
    await new Promise((r) => setTimeout(r, delay));
  }
}
