import { describe, expect, it } from '@jest/globals';
import { buttonClickBody, postToBot, signedHeaders } from '../support/slack-signer.js';
import {
  ALERT_CHANNEL,
  addLoopingNode,
  alertGroundEachTest,
  blocksText,
  restartLoop,
  roots,
  stopLoop,
  tsOf,
  updatesOf,
} from './support.js';

const openGround = alertGroundEachTest();

const threadOf = (ts: string) => (c: { method: string; args: Record<string, unknown> }) =>
  c.method === 'chat.postMessage' && c.args.thread_ts === ts;

describe('alerts in the channel', () => {
  it('snoozed: no alert for that object when it loops again; another object still alerts', async () => {
    const g = await openGround();
    const serve = await g.start('serve');
    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const ts = tsOf(roots(g.slack.calls)[0]!);

    const body = buttonClickBody({
      actionId: 'alert_snooze_1h',
      value: 'node:c-dql6k/machine-h46dc',
      channelId: ALERT_CHANNEL,
      messageTs: ts,
      text: 'Snooze 1 h',
    });
    const click = await postToBot(
      `http://127.0.0.1:${serve.port}/slack/events`,
      body,
      signedHeaders('alerts-secret', body),
    );
    expect(click.status).toBe(200);
    await g.slack.waitFor(
      (calls) =>
        calls.some((c) => threadOf(ts)(c) && blocksText(c.args.blocks).includes('Snoozed by <@U0ALICE>')),
      20000,
      'the snooze in the thread',
    );

    stopLoop(g.standin);
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      30000,
      'the resolved alert',
    );
    restartLoop(g.standin);
    addLoopingNode(g.standin, 'machine-other1');
    await g.slack.waitFor(
      (calls) => roots(calls).some((c) => blocksText(c.args.blocks).includes('machine-other1')),
      30000,
      'the other object alert',
    );
    expect(g.standin.loop.isLooping('c-dql6k', 'machine-h46dc')).toBe(true);
    expect(
      roots(g.slack.calls).filter((c) => blocksText(c.args.blocks).includes('machine-h46dc')),
    ).toHaveLength(1);
  }, 120000);

  it('50 objects starting to loop together, Slack answering 429 at first: one summary root listing all 50, each object its own message in its thread, in the order listed', async () => {
    const g = await openGround({ ALERT_POST_GAP_MS: '20', ALERT_FOR: '3' });
    g.slack.script('chat.postMessage', { status: 429, retryAfter: 1 }, 3);
    await g.start('worker');
    g.standin.loop.stop();
    stopLoop(g.standin);
    for (let i = 0; i < 50; i++) addLoopingNode(g.standin, `machine-burst${String(i).padStart(2, '0')}`);
    g.standin.loop.start(100);
    await g.slack.waitFor(
      (calls) => {
        const r = roots(calls)[0];
        return r !== undefined && calls.filter(threadOf(tsOf(r))).length >= 50;
      },
      90000,
      'the summary and its 50 incidents',
    );
    const all = roots(g.slack.calls);
    expect(all).toHaveLength(1);
    const summary = blocksText(all[0]!.args.blocks);
    expect(summary).toContain('50 objects started looping within a minute');
    const listed = summary.match(/machine-burst\d\d/g) ?? [];
    expect(new Set(listed).size).toBe(50);
    const members = g.slack.calls
      .filter(threadOf(tsOf(all[0]!)))
      .filter((c) => c.answer !== undefined)
      .slice(0, 50);
    const posted = members.map((m) => /machine-burst\d\d/.exec(blocksText(m.args.blocks))?.[0]);
    // Nothing lost, nothing twice, and in the order the summary lists them.
    expect(posted).toEqual(listed);
    expect(members.every((m) => blocksText(m.args.blocks).includes('Acknowledge'))).toBe(true);
    expect(
      g.slack.callsOf('chat.postMessage').filter((c) => c.answer === undefined).length,
    ).toBeGreaterThanOrEqual(3);
  }, 150000);

  it('Slack answering 429: every message still arrives, in the order asked', async () => {
    const g = await openGround({ ALERT_POST_GAP_MS: '20', ALERT_SUMMARY_AT: '50' });
    g.slack.script('chat.postMessage', { status: 429, retryAfter: 1 }, 3);
    await g.start('worker');
    g.standin.loop.stop();
    stopLoop(g.standin);
    for (let i = 0; i < 4; i++) addLoopingNode(g.standin, `machine-order${i}`);
    g.standin.loop.start(100);
    await g.slack.waitFor((calls) => roots(calls).length >= 4, 60000, 'four alerts');
    const posted = roots(g.slack.calls).map((c) => /machine-order\d/.exec(blocksText(c.args.blocks))?.[0]);
    expect(posted).toEqual(['machine-order0', 'machine-order1', 'machine-order2', 'machine-order3']);
    expect(
      g.slack.callsOf('chat.postMessage').filter((c) => c.answer === undefined).length,
    ).toBeGreaterThanOrEqual(3);
  }, 120000);
});
