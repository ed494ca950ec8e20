import { describe, expect, it } from '@jest/globals';
import { buttonClickBody, postToBot, signedHeaders } from '../support/slack-signer.js';
import type { RecordedCall } from '../support/slack-api.js';
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

const posts = (calls: RecordedCall[]) =>
  calls.filter((c) => c.method === 'chat.postMessage' && c.answer !== undefined);
const said = (c: RecordedCall) => `${String(c.args.text ?? '')}\n${blocksText(c.args.blocks)}`;

describe("alerts: a fix approved from the alert is told in the alert's thread", () => {
  it('the patch applied and the loop measured stopped go in the root thread, once each, in order; the root says fixed, then resolved', async () => {
    const g = await openGround({
      APPROVERS: 'U0ALICE',
      REMEDIATION_ENABLED: 'true',
      VERIFY_AFTER: '1s',
      VERIFY_WINDOW: '2s',
    });
    const serve = await g.start('serve');
    const url = `http://127.0.0.1:${serve.port}/slack/events`;

    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const ts = tsOf(roots(g.slack.calls)[0]!);
    const approveIn = (c: RecordedCall) =>
      buttonsOf(c.args.blocks).find((b) => b.actionId === 'approve_patch');
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => approveIn(c)),
      60000,
      'the diagnosed alert with its buttons',
    );
    const planId = approveIn(updatesOf(g.slack.calls, ts).find((c) => approveIn(c))!)!.value;

    const body = buttonClickBody({
      actionId: 'approve_patch',
      value: planId,
      channelId: ALERT_CHANNEL,
      messageTs: ts,
      text: 'Approve patch',
    });
    expect((await postToBot(url, body, signedHeaders('alerts-secret', body))).status).toBe(200);

    const inThread = (calls: RecordedCall[]) => posts(calls).filter((c) => c.args.thread_ts === ts);
    const applied = (c: RecordedCall) => said(c).includes('Patch applied to machine-h46dc');
    const stopped = (c: RecordedCall) => said(c).includes('*Loop stopped*');
    await g.slack.waitFor(
      (calls) => inThread(calls).some(applied) && inThread(calls).some(stopped),
      90000,
      "the patch's result and its verification in the alert's thread",
    );
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      60000,
      'the resolved alert',
    );
    await g.slack.waitFor(
      (calls) => inThread(calls).some((c) => said(c).includes('Resolved: under the loop threshold')),
      30000,
      'the resolved note',
    );

    // The stand-in's object carries what the patch wrote: the loop is over because of it.
    const node = g.standin.get(
      'local',
      `/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc`,
    );
    expect((node as { status?: { rkeNode?: unknown } }).status?.rkeNode).toBeDefined();

    const thread = inThread(g.slack.calls);
    expect(thread.filter(applied)).toHaveLength(1);
    expect(thread.filter(stopped)).toHaveLength(1);
    expect(thread.findIndex(applied)).toBeLessThan(thread.findIndex(stopped));
    expect(said(thread.find(stopped)!)).toMatch(/Loop stopped\*: [\d,.]+ writes\/min/);

    const updates = updatesOf(g.slack.calls, ts);
    const fixedOpen = updates.find((c) => /Loop on .* — fixed\./.test(blocksText(c.args.blocks)));
    const last = updates.at(-1)!;
    // Whichever came first, the verification or the resolution, the root ends saying both.
    expect(blocksText(last.args.blocks)).toMatch(/Resolved:\* loop on .* — fixed\. It lasted/);
    expect(String(last.args.text)).toContain('— fixed');
    if (fixedOpen) expect(updates.indexOf(fixedOpen)).toBeLessThan(updates.indexOf(last));

    // One root, every other message in its thread: nothing went to another channel or thread.
    expect(roots(g.slack.calls)).toHaveLength(1);
    for (const c of posts(g.slack.calls)) {
      expect(c.args.channel).toBe(ALERT_CHANNEL);
      if (c.args.thread_ts !== undefined) expect(c.args.thread_ts).toBe(ts);
    }
  }, 240000);
});
