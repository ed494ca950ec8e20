import { afterEach, describe, expect, it } from '@jest/globals';
import { drainPorts } from '../../../src/rancher/drain-ports.js';
import {
  applyDrainPlan,
  DEFAULT_DRAIN_SETTINGS,
  DRAIN_STEPS,
  uncordon,
  type DrainOutcome,
} from '../../../src/remediation/apply/drain.js';
import { memoryJournal } from '../../../src/remediation/apply/journal.js';
import { startGround, type Ground } from '../../diagnosis/support.js';
import {
  addSlowPod,
  drainPlanNow,
  evictions,
  NODE,
  releaseWebBudget,
  SLOW_POD,
  steppingClock,
  WEB_POD,
} from './drain-support.js';
import { BROKEN, CLUSTER, NODE_PATH } from './support.js';

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

const NODE_API = `/api/v1/nodes/${NODE}`;
const settings = { ...DEFAULT_DRAIN_SETTINGS, timeoutSeconds: 60, retrySeconds: 5, pollSeconds: 1 };

function expectKind<K extends DrainOutcome['kind']>(
  outcome: DrainOutcome,
  kind: K,
): Extract<DrainOutcome, { kind: K }> {
  expect(outcome).toMatchObject({ kind });
  return outcome as Extract<DrainOutcome, { kind: K }>;
}

const unschedulable = (g: Ground) =>
  (g.standin.get(CLUSTER, NODE_API)?.spec as { unschedulable?: boolean } | undefined)?.unschedulable;

describe('the drain against the stand-in (real client-node, Rancher proxy)', () => {
  it('cordons, evicts (the blocked pod once its budget is released), waits for the pods to go, deletes the node by its UID, and sees Rancher remove the machine- object', async () => {
    const g = (ground = await startGround());
    addSlowPod(g.standin);
    const plan = await drainPlanNow(g.access);
    expect(plan.evict.map((p) => p.name).sort()).toEqual([SLOW_POD, WEB_POD].sort());
    const uid = g.standin.get(CLUSTER, NODE_API)!.metadata.uid!;
    g.standin.loop.tick(3);
    expect(g.standin.loop.isLooping(CLUSTER, BROKEN)).toBe(true);
    // The budget is released on the second wait: the ReplicaSet's new pod became ready elsewhere.
    const clock = steppingClock((n) => n === 2 && releaseWebBudget(g.standin));
    const steps: string[] = [];
    const journal = memoryJournal();
    const out = expectKind(
      await applyDrainPlan(plan, drainPorts(g.access), journal, clock, settings, (s) => steps.push(s)),
      'removed',
    );
    expect(out.evicted.sort()).toEqual([`default/${SLOW_POD}`, `default/${WEB_POD}`].sort());
    expect(out.machineObjectGone).toBe(true);
    expect(g.standin.get(CLUSTER, NODE_API)).toBeUndefined();
    expect(g.standin.get('local', NODE_PATH)).toBeUndefined();
    expect(g.standin.loop.isLooping(CLUSTER, BROKEN)).toBe(false);
    // DaemonSet pods are left; the web pod was refused (429) before the release, then evicted once.
    expect(evictions(g.standin, 'canal-5xk8t')).toBe(0);
    const webEvictions = g.standin.requests.filter(
      (r) => r.method === 'POST' && r.path.includes(`/pods/${WEB_POD}/eviction`),
    );
    expect(webEvictions.map((r) => r.status)).toEqual([429, 429, 201].slice(3 - webEvictions.length));
    expect(webEvictions.at(-1)!.status).toBe(201);
    expect(evictions(g.standin, SLOW_POD)).toBe(1);
    // Cordon and delete: each a dry run first; the delete carries the UID read at the start.
    const patches = g.standin.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(NODE_API));
    expect(patches.map((r) => r.query.dryRun ?? 'real')).toEqual(['All', 'real']);
    const deletes = g.standin.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(NODE_API));
    expect(deletes.map((r) => r.query.dryRun ?? 'real')).toEqual(['All', 'real']);
    expect(JSON.parse(deletes[1]!.body ?? '{}')).toMatchObject({ preconditions: { uid } });
    expect(steps.some((s) => s.includes('waiting for 1 evicted pod'))).toBe(true);
    expect(journal.steps[DRAIN_STEPS.outcome]).toEqual(out);
  });

  it('a budget that never allows: stops at DRAIN_TIMEOUT, the node left cordoned, the pod and its budget named', async () => {
    const g = (ground = await startGround());
    const plan = await drainPlanNow(g.access);
    const clock = steppingClock();
    const out = expectKind(
      await applyDrainPlan(plan, drainPorts(g.access), memoryJournal(), clock, settings),
      'stopped',
    );
    expect(out).toMatchObject({
      reason: 'deadline',
      cordoned: true,
      evicted: [],
      blocked: [
        {
          pod: `default/${WEB_POD}`,
          pdbs: ['default/web-pdb'],
          message: expect.stringContaining('The disruption budget web-pdb needs 2 healthy pods'),
        },
      ],
    });
    expect(unschedulable(g)).toBe(true);
    expect(g.standin.get(CLUSTER, NODE_API)).toBeDefined();
    // Tried every retrySeconds until the deadline: 60 s / 5 s.
    expect(clock.sleeps.every((ms) => ms <= 5000)).toBe(true);
    expect(evictions(g.standin, WEB_POD)).toBe(13);
  });

  it('Stop while it runs: it stops after the current step and leaves the node cordoned; Uncordon undoes that', async () => {
    const g = (ground = await startGround());
    const plan = await drainPlanNow(g.access);
    const journal = memoryJournal();
    const clock = steppingClock(
      (n) => n === 1 && void journal.record(DRAIN_STEPS.stop, { by: 'U0CAROL', at: 'now' }),
    );
    const out = expectKind(
      await applyDrainPlan(plan, drainPorts(g.access), journal, clock, settings),
      'stopped',
    );
    expect(out).toMatchObject({ reason: 'stop', stoppedBy: 'U0CAROL', cordoned: true });
    expect(out.blocked.map((b) => b.pod)).toEqual([`default/${WEB_POD}`]);
    expect(unschedulable(g)).toBe(true);
    expect(evictions(g.standin, WEB_POD)).toBe(1);
    expect(await uncordon(plan, drainPorts(g.access), journal)).toMatchObject({ kind: 'uncordoned' });
    expect(unschedulable(g)).toBe(false);
  });

  it('killed after the evictions, before the delete: run again on the journal, it deletes without evicting twice', async () => {
    const g = (ground = await startGround());
    releaseWebBudget(g.standin);
    const plan = await drainPlanNow(g.access);
    const journal = memoryJournal();
    const ports = drainPorts(g.access);
    const dying = {
      ...ports,
      deleteNode: () => Promise.reject(new Error('worker killed')),
    };
    await expect(applyDrainPlan(plan, dying, journal, steppingClock(), settings)).rejects.toThrow(
      'worker killed',
    );
    expect(journal.steps[DRAIN_STEPS.drained]).toBeTruthy();
    const before = evictions(g.standin);
    expect(before).toBe(1);
    expectKind(await applyDrainPlan(plan, ports, journal, steppingClock(), settings), 'removed');
    expect(evictions(g.standin)).toBe(before);
    expect(g.standin.get(CLUSTER, NODE_API)).toBeUndefined();
  });

  it('a node re-created under the same name since the preflight is not deleted', async () => {
    const g = (ground = await startGround());
    releaseWebBudget(g.standin);
    const plan = await drainPlanNow(g.access);
    const journal = memoryJournal();
    const ports = drainPorts(g.access);
    const recreate = {
      ...ports,
      deleteNode: async (c: string, n: string, o: { uid: string; dryRun: boolean }, s?: AbortSignal) => {
        const node = g.standin.get(CLUSTER, NODE_API)!;
        g.standin.delete(CLUSTER, NODE_API);
        g.standin.create(CLUSTER, {
          ...node,
          metadata: { ...node.metadata, uid: undefined, resourceVersion: undefined },
        });
        return ports.deleteNode(c, n, o, s);
      },
    };
    const out = expectKind(
      await applyDrainPlan(plan, recreate, journal, steppingClock(), settings),
      'refused',
    );
    expect(out.reason).toContain('re-created');
    expect(g.standin.get(CLUSTER, NODE_API)).toBeDefined();
    const deletes = g.standin.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(NODE_API));
    expect(deletes.map((r) => r.status)).toEqual([409]);
  });

  it('refuses, writing nothing, when the node is the last of a control role', async () => {
    const g = (ground = await startGround());
    const cp = g.standin.get(CLUSTER, '/api/v1/nodes/cp-1')!;
    const labels = { ...cp.metadata.labels };
    delete labels['node-role.kubernetes.io/etcd'];
    g.standin.put(CLUSTER, { ...cp, metadata: { ...cp.metadata, labels } });
    const w3 = g.standin.get(CLUSTER, NODE_API)!;
    g.standin.put(CLUSTER, {
      ...w3,
      metadata: { ...w3.metadata, labels: { ...w3.metadata.labels, 'node-role.kubernetes.io/etcd': 'true' } },
    });
    const plan = await drainPlanNow(g.access);
    expect(plan.lastOfRole).toEqual(['etcd']);
    const out = expectKind(
      await applyDrainPlan(plan, drainPorts(g.access), memoryJournal(), steppingClock(), settings),
      'refused',
    );
    expect(out.reason).toContain('last etcd node');
    expect(g.standin.requests.filter((r) => ['PATCH', 'DELETE', 'POST'].includes(r.method))).toEqual([]);
  });
});
