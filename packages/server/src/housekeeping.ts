// Periodic clean-up of what expires in the database: sessions past their end, sign-in flows a day
// after theirs. Each is one DELETE … WHERE expired, so every replica may run it at any time.
import type { Repositories } from '@atelier/db';
import type { Logger } from 'pino';

const DEFAULT_INTERVAL_MS = 15 * 60_000;

export interface Housekeeping {
  /** one round now (also what the timer runs); the counts of rows removed */
  runOnce(): Promise<{ sessions: number; oauthFlows: number }>;
  stop(): Promise<void>;
}

export function startHousekeeping(
  deps: { repos: Repositories; logger: Logger },
  opts: { intervalMs?: number } = {},
): Housekeeping {
  let running: Promise<unknown> = Promise.resolve();
  const runOnce = async () => {
    const [sessions, oauthFlows] = await Promise.all([
      deps.repos.sessions.deleteExpired(),
      deps.repos.oauthFlows.prune(),
    ]);
    if (sessions + oauthFlows > 0) {
      deps.logger.info({ sessions, oauthFlows }, 'expired sessions and sign-in flows removed');
    }
    return { sessions, oauthFlows };
  };
  const round = () => {
    running = runOnce().catch((e: unknown) =>
      deps.logger.warn({ err: e }, 'removing expired sessions and sign-in flows failed; trying again later'),
    );
  };
  round();
  const timer = setInterval(round, opts.intervalMs ?? DEFAULT_INTERVAL_MS);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
