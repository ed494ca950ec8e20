import { describe, expect, it } from '@jest/globals';
import { buttonClickBody, postToBot, signedHeaders } from '../support/slack-signer.js';
import {
  ALERT_CHANNEL,
  alertGroundEachTest,
  blocksText,
  buttonsOf,
  roots,
  tsOf,
  updatesOf,
} from './support.js';

const openGround = alertGroundEachTest();

describe('alerts: Acknowledge after a fix was decided from the alert', () => {
  it("the edited root shows who acknowledged and the decision, never the decided fix's Approve button", async () => {
    const g = await openGround({
      APPROVERS: 'U0ALICE',
      REMEDIATION_ENABLED: 'true',
      VERIFY_AFTER: '1s',
      VERIFY_WINDOW: '2s',
      // Open for the whole test: the patch stops the loop, and a resolved incident takes no ack.
      ALERT_RESOLVE_AFTER: '600',
    });
    const serve = await g.start('serve');
    const url = `http://127.0.0.1:${serve.port}/slack/events`;
    const click = async (actionId: string, value: string, ts: string, text: string) => {
      const body = buttonClickBody({ actionId, value, channelId: ALERT_CHANNEL, messageTs: ts, text });
      const res = await postToBot(url, body, signedHeaders('alerts-secret', body));
      expect(res.status).toBe(200);
    };

    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const ts = tsOf(roots(g.slack.calls)[0]!);
    const approveIn = (c: { args: Record<string, unknown> }) =>
      buttonsOf(c.args.blocks).find((b) => b.actionId === 'approve_patch');
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => approveIn(c)),
      60000,
      'the diagnosed alert with its buttons',
    );
    const planId = approveIn(updatesOf(g.slack.calls, ts).find((c) => approveIn(c))!)!.value;

    await click('approve_patch', planId, ts, 'Approve patch');
    const decided = (c: { args: Record<string, unknown> }) =>
      blocksText(c.args.blocks).includes('Patch approved by <@U0ALICE>');
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some(decided),
      60000,
      'the decision on the alert message',
    );
    const afterDecision = updatesOf(g.slack.calls, ts).find(decided)!;
    expect(approveIn(afterDecision)).toBeUndefined();

    await click('alert_ack', 'node:c-dql6k/machine-h46dc', ts, 'Acknowledge');
    const acked = (c: { args: Record<string, unknown> }) =>
      blocksText(c.args.blocks).includes('acknowledged by <@U0ALICE>');
    await g.slack.waitFor((calls) => updatesOf(calls, ts).some(acked), 30000, 'the acknowledgement');
    const shown = updatesOf(g.slack.calls, ts).filter(acked);
    for (const c of shown) {
      expect(blocksText(c.args.blocks)).toContain('Patch approved by <@U0ALICE>');
      expect(approveIn(c)).toBeUndefined();
    }
    // Still the alert's own buttons: the incident stays open.
    expect(buttonsOf(shown.at(-1)!.args.blocks).map((b) => b.actionId)).toContain('alert_snooze_1h');
    expect(roots(g.slack.calls)).toHaveLength(1);
  }, 150000);
});
