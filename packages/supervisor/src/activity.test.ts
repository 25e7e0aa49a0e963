// Heartbeats as the server receives them: at most one per interval, a change of `closed` at once,
// the IDE closed only when its last browser connection stays gone, a failed delivery retried.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Activity, type Beat } from './activity.js';
import { silentLogger } from './log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(opts: { intervalMs: number; closeGraceMs?: number; fail?: () => boolean }) {
  const sent: Beat[] = [];
  const activity = new Activity({
    intervalMs: opts.intervalMs,
    ...(opts.closeGraceMs === undefined ? {} : { closeGraceMs: opts.closeGraceMs }),
    logger: silentLogger,
    send: async (beat) => {
      if (opts.fail?.()) throw new Error('server away');
      sent.push(beat);
    },
  });
  return { activity, sent };
}

describe('Activity', () => {
  test('the first beat goes at once; more within the interval make one more at its end', async () => {
    const { activity, sent } = recorder({ intervalMs: 200 });
    activity.beat('ide');
    activity.beat('ide');
    activity.beat('ide');
    await sleep(20);
    assert.equal(sent.length, 1);
    await sleep(250);
    assert.deepEqual(sent, [
      { source: 'ide', closed: false },
      { source: 'ide', closed: false },
    ]);
    activity.stop();
  });

  test('the last browser connection gone for the grace period closes the IDE; a reload in time does not', async () => {
    const { activity, sent } = recorder({ intervalMs: 10_000, closeGraceMs: 100 });
    const first = activity.browserConnected('ide');
    await sleep(10);
    assert.deepEqual(sent, [{ source: 'ide', closed: false }], 'opening the IDE is activity');
    first();
    await sleep(30);
    const reloaded = activity.browserConnected('ide');
    await sleep(150);
    assert.equal(sent.length, 1, 'a reload within the grace period is not a close');
    reloaded();
    await sleep(150);
    assert.deepEqual(sent.at(-1), { source: 'ide', closed: true });
    activity.stop();
  });

  test('"closed" from a window while another is still connected counts as activity only', async () => {
    const { activity, sent } = recorder({ intervalMs: 10_000, closeGraceMs: 50 });
    activity.browserConnected('ide');
    activity.beat('ide', true);
    await sleep(20);
    assert.ok(
      sent.every((b) => !b.closed),
      JSON.stringify(sent),
    );
    activity.stop();
  });

  test('a beat that could not be delivered is sent again with the next one', async () => {
    let down = true;
    const { activity, sent } = recorder({ intervalMs: 10_000, fail: () => down });
    activity.beat('terminal');
    await sleep(20);
    assert.equal(sent.length, 0);
    down = false;
    activity.beat('terminal');
    await sleep(20);
    assert.deepEqual(sent, [{ source: 'terminal', closed: false }], 'not held back by the interval');
    activity.stop();
  });
});
