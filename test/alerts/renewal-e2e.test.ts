import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { PlanStore } from '../../src/queue/plan-store.js';
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
let redis: Redis | null = null;
afterEach(async () => {
  redis?.disconnect();
  redis = null;
});

const APPROVAL_TTL_S = 12;
const patchOf = (c: { args: Record<string, unknown> }) =>
  buttonsOf(c.args.blocks).find((b) => b.actionId === 'approve_patch')?.value;

describe('alerts: plans renewed while the incident stays open', () => {
  it('the root is edited with fresh plans before the old ones expire; an expired old button is refused and says why; the new one works', async () => {
    const g = await openGround({
      APPROVERS: 'U0ALICE',
      REMEDIATION_ENABLED: 'true',
      VERIFY_AFTER: '1s',
      VERIFY_WINDOW: '2s',
      // Seconds here, half an hour and five minutes in production.
      APPROVAL_TTL: `${APPROVAL_TTL_S}s`,
      ALERT_RENEW_BEFORE: '8s',
    });
    const serve = await g.start('serve');
    const url = `http://127.0.0.1:${serve.port}/slack/events`;
    const click = async (actionId: string, value: string, ts: string) => {
      const body = buttonClickBody({ actionId, value, channelId: ALERT_CHANNEL, messageTs: ts });
      expect((await postToBot(url, body, signedHeaders('alerts-secret', body))).status).toBe(200);
    };

    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const ts = tsOf(roots(g.slack.calls)[0]!);
    await g.slack.waitFor((calls) => updatesOf(calls, ts).some(patchOf), 60000, 'the diagnosed alert');
    const first = patchOf(updatesOf(g.slack.calls, ts).find(patchOf)!)!;

    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => patchOf(c) !== undefined && patchOf(c) !== first),
      60000,
      'the alert edited with renewed plans',
    );
    expect(roots(g.slack.calls)).toHaveLength(1);
    // The same fixes offered again are no news in the thread.
    const thread = g.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === ts);
    expect(thread.some((c) => blocksText(c.args.blocks).includes('renewed'))).toBe(false);

    // The first plan's time to approve runs out; its button, clicked from an old copy, is refused.
    redis = new Redis('redis://127.0.0.1:6379');
    const plan = await new PlanStore(redis, g.prefix, 86400).get(first);
    expect(plan).not.toBeNull();
    const expiresAt = Date.parse(plan!.createdAt) + APPROVAL_TTL_S * 1000;
    while (Date.now() <= expiresAt + 500) await new Promise((r) => setTimeout(r, 200));
    await click('approve_patch', first, ts);
    await g.slack.waitFor(
      (calls) =>
        calls.some(
          (c) =>
            c.method === 'chat.postEphemeral' &&
            blocksText(c.args.blocks).includes('The time to approve this fix has passed') &&
            blocksText(c.args.blocks).includes('renews its plans'),
        ),
      20000,
      'the refusal of the expired button',
    );
    expect(
      updatesOf(g.slack.calls, ts).some((c) => blocksText(c.args.blocks).includes('Patch approved')),
    ).toBe(false);

    // The button the alert shows now carries a renewed plan: it is approved.
    const current = patchOf(updatesOf(g.slack.calls, ts).filter(patchOf).at(-1)!)!;
    expect(current).not.toBe(first);
    await click('approve_patch', current, ts);
    await g.slack.waitFor(
      (calls) =>
        updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Patch approved by <@U0ALICE>')),
      60000,
      'the renewed plan approved on the alert',
    );
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      60000,
      'the incident resolved once the patch stopped the loop',
    );
    expect(roots(g.slack.calls)).toHaveLength(1);
  }, 240000);
});
