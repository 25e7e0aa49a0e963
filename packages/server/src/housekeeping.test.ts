// Housekeeping removes expired sessions and finished sign-in flows, keeps live ones, and logs what
// it removed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '@atelier/db';
import pino from 'pino';
import { startHousekeeping } from './housekeeping.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

describe('housekeeping', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.close());

  test('expired sessions and sign-in flows a day past their end go; live ones stay', async () => {
    const { user } = await t.userClient('keeper');
    const hour = 3_600_000;
    const session = (name: string, offsetMs: number) =>
      t.repos.sessions.create({
        tokenHash: hashToken(name),
        userId: user.id,
        expiresAt: new Date(Date.now() + offsetMs).toISOString(),
      });
    await session('expired-session', -hour);
    await session('live-session', hour);
    const flow = (name: string, ttlMs: number) =>
      t.repos.oauthFlows.create({
        stateHash: hashToken(name),
        providerId: 'p',
        codeVerifierSealed: t.secrets.seal('verifier'),
        returnTo: '/',
        userId: null,
        scopes: '',
        ttlMs,
      });
    await flow('ended-two-days-ago', -48 * hour);
    await flow('ended-an-hour-ago', -hour); // kept a day: a late callback still gets "expired", not "unknown"
    await flow('live', 10 * 60_000);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const keeper = startHousekeeping({ repos: t.repos, logger }, { intervalMs: 60_000 });
    await keeper.stop(); // waits for the first round, run at start
    assert.equal(await t.repos.sessions.findValid(hashToken('live-session')).then(Boolean), true);
    const again = await keeper.runOnce();
    assert.deepEqual(again, { sessions: 0, oauthFlows: 0 }, 'the first round removed them all');
    assert.equal(lines.length, 1, lines.join(''));
    assert.deepEqual(
      (({ sessions, oauthFlows }) => ({ sessions, oauthFlows }))(JSON.parse(lines[0] ?? '{}')),
      { sessions: 1, oauthFlows: 1 },
    );
    assert.ok(await t.repos.oauthFlows.consume(hashToken('live')), 'a live flow is kept');
  });
});
