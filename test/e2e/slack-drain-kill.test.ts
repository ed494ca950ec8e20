/**
 * A worker killed in the middle of a drain, between the evictions and the node's delete: another
 * worker takes the job up through BullMQ's stalled-job recovery and resumes it from its journal.
 * The workers are the built CLI (`dist/bundle/main.js worker`, built by `npm test` first), each a
 * child process of its own, so that SIGKILL takes one down as it would in a cluster.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { BuiltWorkers } from '../support/built-workers.js';
import { releaseWebBudget } from '../remediation/apply/drain-support.js';
import { CLUSTER, KUBE_NODE, OBJECT, startDrainGround, type DrainGround } from './drain-ground.js';

let ground: DrainGround | null = null;
const pool = new BuiltWorkers();
afterEach(async () => {
  await pool.killAll();
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

describe('a drain whose worker is killed', () => {
  it('SIGKILLed after the evictions, before the delete: a second worker resumes at the delete; no pod is evicted twice', async () => {
    const g = (ground = await startDrainGround({
      role: 'bot',
      // A dead worker's job is taken up again once its lock runs out: seconds here, 30 s by default.
      env: { LOCK_DURATION_MS: '4000', STALLED_INTERVAL_MS: '1000' },
    }));
    // Every pod may go at once: each is asked exactly once unless a job runs its evictions again.
    releaseWebBudget(g.standin);
    const onNode = g.standin
      .list(CLUSTER, '/api/v1/pods')
      .filter((p) => (p.spec as { nodeName?: string }).nodeName === 'worker-3')
      .map((p) => p.metadata.name);
    // The apiserver is slow to answer the node's delete (its dry run comes first): the worker is
    // killed while it waits.
    g.standin.faults.inject({
      method: 'DELETE',
      path: `/k8s/clusters/${CLUSTER}${KUBE_NODE}`,
      latencyMs: 120000,
    });
    const first = pool.start(g.env);

    const report = await g.diagnose();
    const approve = report.buttons.find((b) => b.action_id === 'approve_drain')!;
    await g.click('approve_drain', approve.value, 'U0ALICE', report.ts);
    await until(
      () => g.standin.countRequests({ method: 'DELETE', path: KUBE_NODE }) > 0,
      "the node's delete asked",
      120000,
    );
    const evicted = g.standin.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/eviction'))
      .map((r) => r.path.split('/').at(-2)!);
    expect(evicted.length).toBeGreaterThan(0);
    // The drain waited for them before the delete: gone.
    for (const pod of evicted)
      expect(g.standin.get(CLUSTER, `/api/v1/namespaces/default/pods/${pod}`)).toBeUndefined();
    const exited = new Promise((r) => first.process.once('exit', r));
    first.process.kill('SIGKILL');
    await exited;
    expect(g.standin.get(CLUSTER, KUBE_NODE)).toBeDefined();

    const second = pool.start(g.env);
    const removed = await g.threadSays(
      report.ts,
      "The host's way back",
      'the node removed by the second worker',
      120000,
    );
    expect(removed).toContain('node `worker-3` removed');
    expect(g.standin.get(CLUSTER, KUBE_NODE)).toBeUndefined();
    expect(g.standin.get('local', OBJECT)).toBeUndefined();
    // Each pod the drain evicts was asked for once, by whichever worker; the delete went once for real.
    const asked = g.standin.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/eviction'))
      .map((r) => r.path.split('/').at(-2)!);
    expect(asked.sort()).toEqual([...new Set(asked)].sort());
    expect(asked.sort()).toEqual(evicted.sort());
    expect(onNode).toEqual(expect.arrayContaining(asked));
    expect(g.standin.countRequests({ method: 'DELETE', path: KUBE_NODE, dryRun: false })).toBe(1);
    // The second worker did it, after the job came back to the queue.
    // The second worker carried it to the end, after the job came back to the queue.
    expect(first.output()).not.toContain('"msg":"audit: result"');
    expect(second.output()).toContain('"detail":"removed"');
  }, 300000);
});
