/**
 * The drain, through Slack, where it does not simply finish: a budget that never releases, an
 * approver's Stop (and someone else's), and the nodes it must not be offered for.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pino from 'pino';
import { AuditLog } from '../../src/queue/audit-log.js';
import { blocksText } from '../support/slack-api.js';
import { releaseWebBudget } from '../remediation/apply/drain-support.js';
import { CLUSTER, KUBE_NODE, OBJECT, cordoned, startDrainGround, type DrainGround } from './drain-ground.js';

const WEB_POD = '/api/v1/namespaces/default/pods/web-6d4cf56db6-x7k2p';
const refusedEvictions = (g: DrainGround) =>
  g.standin.requests.filter((r) => r.path.endsWith('/eviction') && r.status === 429).length;

let ground: DrainGround | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

async function until(test: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a drain stopped, through Slack', () => {
  it('a budget that never releases: stopped at DRAIN_TIMEOUT, cordoned, the pod and budget named, Retry and Uncordon offered; Uncordon; Retry once released removes the node; the audit names approvers and identity', async () => {
    const g = (ground = await startDrainGround({ env: { DRAIN_TIMEOUT: '3s' } }));
    const report = await g.diagnose();
    const approve = report.buttons.find((b) => b.action_id === 'approve_drain')!;
    expect(approve).toBeDefined();
    await g.click('approve_drain', approve.value, 'U0ALICE', report.ts);

    const stopped = await g.threadSays(
      report.ts,
      'stopped at DRAIN_TIMEOUT',
      'the drain stopped at its deadline',
    );
    expect(stopped).toContain('Node `worker-3` is left cordoned');
    expect(stopped).toMatch(/`default\/web-6d4cf56db6-x7k2p` held by PodDisruptionBudget `default\/web-pdb`/);
    expect(stopped).toContain('Cannot evict pod as it would violate the pod');
    expect(cordoned(g.standin)).toBe(true);
    expect(g.standin.get(CLUSTER, WEB_POD)).toBeDefined();
    expect(g.standin.get(CLUSTER, KUBE_NODE)).toBeDefined();
    await g.reportSays(report.ts, 'Retry drain', 'the report offering Retry');
    const offered = g.buttonsNow(report.ts);
    expect(offered.map((b) => b.text?.text)).toEqual(expect.arrayContaining(['Retry drain', 'Uncordon']));

    // Uncordon, by an approver: the node is schedulable again, and the thread says so.
    const uncordon = offered.find((b) => b.action_id === 'uncordon')!;
    await g.click('uncordon', uncordon.value, 'U0BOB', report.ts);
    const back = await g.threadSays(report.ts, 'is schedulable again', 'the node uncordoned');
    expect(back).toContain('Uncordon asked by <@U0BOB>');
    expect(cordoned(g.standin)).toBe(false);

    // The drain again, once the ReplicaSet's new pod frees the budget: carried to the end.
    releaseWebBudget(g.standin);
    await until(
      () => g.buttonsNow(report.ts).some((b) => b.action_id === 'approve_drain'),
      'the drain offered again',
    );
    const again = g.buttonsNow(report.ts).find((b) => b.action_id === 'approve_drain')!;
    await g.click('approve_drain', again.value, 'U0BOB', report.ts);
    const removed = await g.threadSays(report.ts, "The host's way back", 'the node removed');
    expect(removed).toContain('node `worker-3` removed');
    expect(g.standin.get(CLUSTER, KUBE_NODE)).toBeUndefined();
    expect(g.standin.get('local', OBJECT)).toBeUndefined();

    // The audit trail: who approved each drain, and as whom it wrote downstream, apart.
    const redis = new Redis('redis://127.0.0.1:6379');
    const entries = await new AuditLog(redis, g.prefix, pino({ level: 'silent' }), {
      retentionSeconds: 3600,
      maxEntries: 1000,
    }).latest(100);
    redis.disconnect();
    // The token's name (token-xxxxx), never its secret part.
    const tokenName = g.standin.rancherToken.split(':')[0]!;
    const results = entries.filter((e) => e.event === 'result' && e.kind === 'drain');
    const identity = expect.stringContaining(
      `Rancher token ${tokenName} through Rancher proxy ${g.standin.url}/k8s/clusters/${CLUSTER}`,
    );
    expect(results.find((e) => e.decision === 2)).toMatchObject({
      slackUser: null,
      approvedBy: ['U0BOB'],
      kubernetesIdentity: identity,
      detail: 'removed',
    });
    expect(results.find((e) => e.decision === 1 && e.detail?.startsWith('stopped'))).toMatchObject({
      approvedBy: ['U0ALICE'],
      kubernetesIdentity: identity,
    });
    expect(results.find((e) => e.detail?.startsWith('uncordon: uncordoned'))).toMatchObject({
      slackUser: 'U0BOB',
      approvedBy: ['U0ALICE'],
      kubernetesIdentity: identity,
    });
    expect(JSON.stringify(entries)).not.toContain(g.standin.rancherToken);
    // And as an approver reads it in Slack.
    const shown = await g.command('audit 30', 'U0ALICE');
    expect(shown).toMatch(
      new RegExp(
        `\\*result\\* drain #2 \`c-dql6k/machine-h46dc\` by the bot as \`Rancher token ${tokenName} through Rancher proxy [^\`]+\`, approved by <@U0BOB>: removed`,
      ),
    );
  }, 240000);

  it("Stop mid-drain, while it waits on the budget: refused to a non-approver (nothing changes); an approver's stops it after the step, the node left cordoned", async () => {
    const g = (ground = await startDrainGround({ env: { DRAIN_TIMEOUT: '300s' } }));
    const report = await g.diagnose();
    const approve = report.buttons.find((b) => b.action_id === 'approve_drain')!;
    await g.click('approve_drain', approve.value, 'U0ALICE', report.ts);
    await until(() => refusedEvictions(g) >= 1, 'the web pod refused by its budget');
    await until(
      () => g.buttonsNow(report.ts).some((b) => b.action_id === 'stop_drain'),
      'the report offering Stop',
    );
    const stop = g.buttonsNow(report.ts).find((b) => b.action_id === 'stop_drain')!;

    await g.click('stop_drain', stop.value, 'U0MALLORY', report.ts);
    await until(() => g.ephemeralsTo('U0MALLORY').length > 0, 'the refusal, to the clicker alone');
    expect(g.ephemeralsTo('U0MALLORY')[0]).toContain('not an approver');
    // The drain goes on: the budget is asked again, and nothing says it stopped.
    const before = refusedEvictions(g);
    await until(() => refusedEvictions(g) > before, 'the drain trying the web pod again');
    expect(g.slack.calls.some((c) => blocksText(c.args.blocks).includes('asked the drain'))).toBe(false);
    expect(g.slack.calls.some((c) => blocksText(c.args.blocks).includes('stopped by'))).toBe(false);

    await g.click('stop_drain', stop.value, 'U0BOB', report.ts);
    const asked = await g.threadSays(report.ts, 'asked the drain', 'the Stop acknowledged');
    expect(asked).toContain('<@U0BOB> asked the drain');
    const stopped = await g.threadSays(report.ts, 'stopped by <@U0BOB>', 'the drain stopped');
    expect(stopped).toContain('Node `worker-3` is left cordoned');
    expect(stopped).toContain('`default/web-6d4cf56db6-x7k2p`');
    expect(cordoned(g.standin)).toBe(true);
    expect(g.standin.get(CLUSTER, WEB_POD)).toBeDefined();
    expect(g.standin.get(CLUSTER, KUBE_NODE)).toBeDefined();
    // Nothing after the Stop: no more evictions, no node delete.
    const evictions = g.standin.countRequests({ method: 'POST', path: /\/eviction$/ });
    await g.reportSays(report.ts, 'Retry drain', 'the report offering Retry');
    expect(g.standin.countRequests({ method: 'POST', path: /\/eviction$/ })).toBe(evictions);
    expect(g.standin.countRequests({ method: 'DELETE', path: KUBE_NODE })).toBe(0);
  }, 240000);
});

describe('where the drain is not offered', () => {
  it.each([
    ['last-controlplane', 'worker-3 is the last etcd and controlplane node of prod-east'],
    ['unreachable-downstream', 'prod-east could not be read, so what a drain would evict is not known'],
  ])(
    '%s: the report has no Approve drain and remove, and says why in one line',
    async (scenario, why) => {
      const g = (ground = await startDrainGround({ scenario }));
      const report = await g.diagnose();
      expect(report.buttons.map((b) => b.action_id)).not.toContain('approve_drain');
      expect(report.buttons.map((b) => b.action_id)).toContain('dismiss');
      const line = report.text.split('\n').filter((l) => l.includes('No *Approve drain and remove*'));
      expect(line).toHaveLength(1);
      expect(line[0]).toContain(why);
    },
    180000,
  );
});
