import { describe, expect, it } from '@jest/globals';
import { alertGroundEachTest, blocksText, roots, stopLoop, tsOf, updatesOf } from './support.js';

const openGround = alertGroundEachTest();

describe('alerts: the detector in the worker finds a loop and tells the alert channel', () => {
  it('a loop starts: one root message, diagnosed in place with the buttons; the loop stops: resolved in place', async () => {
    const g = await openGround();
    await g.start('worker');
    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const root = roots(g.slack.calls)[0]!;
    expect(blocksText(root.args.blocks)).toContain('Loop on node object');
    expect(blocksText(root.args.blocks)).toContain('machine-h46dc');
    const ts = tsOf(root);
    const diagnosed = () =>
      updatesOf(g.slack.calls, ts).some((c) => blocksText(c.args.blocks).includes('Approve patch'));
    await g.slack.waitFor(diagnosed, 60000, 'the diagnosed alert');
    const last = updatesOf(g.slack.calls, ts).at(-1)!;
    expect(blocksText(last.args.blocks)).toContain('Acknowledge');
    expect(blocksText(last.args.blocks)).toContain('Snooze 1 h');

    g.standin.loop.stop();
    stopLoop(g.standin);
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      30000,
      'the resolved alert',
    );
    const resolved = updatesOf(g.slack.calls, ts).at(-1)!;
    expect(blocksText(resolved.args.blocks)).toMatch(/It lasted .*peak/);
    expect(roots(g.slack.calls)).toHaveLength(1);
  }, 120000);
});
