import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { releaseWebBudget } from '../remediation/apply/drain-support.js';
import {
  CLUSTER,
  KUBE_NODE,
  NODE,
  OBJECT,
  cordoned,
  startDrainGround,
  type DrainGround,
} from './drain-ground.js';

let g: DrainGround;

beforeAll(async () => {
  g = await startDrainGround({ env: { APPROVALS_REQUIRED_DRAIN: '2' } });
}, 60000);

afterAll(async () => {
  await g.close();
});

describe('drain and remove, approved in Slack, carried out on the stand-in', () => {
  it('needs two approvals; then cordons, evicts (the blocked pod once its budget is released), deletes the node, sees the machine- object go and the loop stop, and gives the host its way back', async () => {
    const { standin, slack } = g;
    const report = await g.diagnose();
    const ts = report.ts;
    const drain = report.buttons.find((b) => b.action_id === 'approve_drain')!;

    // One approval of two: nothing is done.
    await g.click('approve_drain', drain.value, 'U0ALICE', ts);
    await g.reportSays(ts, '*1 of 2*', 'one approval of two', 10000);
    expect(standin.countRequests({ method: 'PATCH', path: KUBE_NODE })).toBe(0);
    expect(standin.countRequests({ method: 'POST', path: /\/eviction$/ })).toBe(0);

    // The second: carried out. While it runs, the report offers Stop.
    await g.click('approve_drain', drain.value, 'U0BOB', ts);
    await g.reportSays(ts, 'Stop', 'the drain running with its Stop button', 20000);
    // The web pod's budget refuses (429) until the test lets the ReplicaSet's new pod be ready.
    await slack.waitFor(
      () => standin.requests.some((r) => r.path.endsWith('/eviction') && r.status === 429),
      20000,
      'a refused eviction',
    );
    expect(cordoned(standin)).toBe(true);
    releaseWebBudget(standin);

    const text = await g.threadSays(ts, "The host's way back", 'the node removed');
    expect(standin.get(CLUSTER, KUBE_NODE)).toBeUndefined();
    expect(standin.get('local', OBJECT)).toBeUndefined();
    expect(text).toContain('node `worker-3` removed');
    expect(text).toContain('Rancher removed the node object');
    expect(text).toContain('--token &lt;registration token&gt;');
    expect(text).toContain('Show registration command');
    // The delete went as a dry run, then for real with the node's UID.
    expect(standin.countRequests({ method: 'DELETE', path: KUBE_NODE, dryRun: true })).toBe(1);
    expect(standin.countRequests({ method: 'DELETE', path: KUBE_NODE, dryRun: false })).toBe(1);

    await g.threadSays(ts, '*Loop stopped*', 'the verification', 30000);
    expect(standin.loop.isLooping(CLUSTER, NODE)).toBe(false);
  }, 180000);
});
