import { afterEach, describe, expect, it } from '@jest/globals';
import { patchPorts } from '../../../src/rancher/patch-ports.js';
import { memoryJournal } from '../../../src/remediation/apply/journal.js';
import { applyPatchPlan, PATCH_STEPS, type PatchOutcome } from '../../../src/remediation/apply/patch.js';
import { verifyLoopStopped } from '../../../src/remediation/apply/verify.js';
import { CHURN_LOOP_RULE } from '../../../src/diagnosis/loop-rule.js';
import { loadScenario, type K8sObject } from '../../standin/index.js';
import { startGround, type Ground } from '../../diagnosis/support.js';
import { BROKEN, CLUSTER, NODE_PATH, kubectl, planNow, writes } from './support.js';

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

const CONFLICT =
  'Operation cannot be fulfilled on nodes.management.cattle.io "machine-h46dc": the object has been modified; please apply your changes to the latest version and try again';

function stored(g: Ground): K8sObject & { spec: Record<string, unknown>; status: Record<string, unknown> } {
  return g.standin.get('local', NODE_PATH) as K8sObject & {
    spec: Record<string, unknown>;
    status: Record<string, unknown>;
  };
}

function expectKind<K extends PatchOutcome['kind']>(
  outcome: PatchOutcome,
  kind: K,
): Extract<PatchOutcome, { kind: K }> {
  expect(outcome.kind).toBe(kind);
  return outcome as Extract<PatchOutcome, { kind: K }>;
}

describe('applying the patch plan (real client-node against the stand-in)', () => {
  it('applies it against the running loop, the loop stops, and the verification says so with figures', async () => {
    const g = (ground = await startGround({ anonymousUser: 'system:anonymous' }));
    const plan = await planNow(g.access);
    g.standin.loop.start(50);
    const journal = memoryJournal();
    const applied = expectKind(await applyPatchPlan(plan, patchPorts(g.access), journal), 'applied');
    expect(g.standin.loop.isLooping(CLUSTER, BROKEN)).toBe(false);
    const obj = stored(g);
    expect(obj.status.rkeNode).toEqual((plan.mergePatch.status as Record<string, unknown>).rkeNode);
    expect(obj.spec.customConfig).toEqual((plan.mergePatch.spec as Record<string, unknown>).customConfig);
    expect(obj.status.rkeNode).not.toHaveProperty('dockerSocket');
    expect(applied.resourceVersionAfter).toBe(obj.metadata.resourceVersion);
    expect(Number(applied.resourceVersionAfter)).toBeGreaterThan(Number(applied.resourceVersionBefore));
    expect(applied.diff).toContain('+  rkeNode:');
    expect(applied.requests).toHaveLength(1);
    expect(applied.requests[0]!.patch).toMatchObject({
      metadata: { resourceVersion: applied.resourceVersionBefore },
    });
    expect(applied.attempts).toBeGreaterThanOrEqual(1);
    // One write and one dry run got through, whatever number of conflicts with the loop came first.
    const w = writes(g.standin);
    expect(w.okWrites).toBe(1);
    expect(g.standin.requests.filter((r) => r.query.dryRun === 'All' && r.status === 200)).toHaveLength(1);
    expect(journal.steps[PATCH_STEPS.outcome]).toEqual(applied);

    const sibling = plan.derivedFrom['status.rkeNode.port']!.replace('sibling ', '');
    const result = await verifyLoopStopped(
      { watchNodeObjects: (o, e, s) => g.access.watchNodeObjects(o, e, s), sleep: () => Promise.resolve() },
      { clusterId: CLUSTER, nodeId: BROKEN, siblingId: sibling, beforePerMinute: 1200 },
      { delaySeconds: 0, windowSeconds: 1, rule: CHURN_LOOP_RULE },
    );
    expect(result).toMatchObject({
      verdict: 'stopped',
      writes: 0,
      siblingWritesPerMinute: 0,
      beforePerMinute: 1200,
    });

    // What a person checking by hand sees.
    const r = await kubectl(
      g.kubeconfig,
      g.dir,
      'get',
      'nodes.management.cattle.io',
      '-n',
      CLUSTER,
      BROKEN,
      '-o',
      'jsonpath={.status.rkeNode.nodeName} {.spec.customConfig.address}',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CLUSTER}:${BROKEN} ${(obj.spec.customConfig as { address: string }).address}`);
  });

  it('verification of an object still looping says so', async () => {
    const g = (ground = await startGround());
    g.standin.loop.start(50);
    const result = await verifyLoopStopped(
      { watchNodeObjects: (o, e, s) => g.access.watchNodeObjects(o, e, s), sleep: () => Promise.resolve() },
      { clusterId: CLUSTER, nodeId: BROKEN, siblingId: 'm-7x2kq', beforePerMinute: null },
      { delaySeconds: 0, windowSeconds: 1, rule: CHURN_LOOP_RULE },
    );
    expect(result.verdict).toBe('looping');
    expect(result.writes).toBeGreaterThan(CHURN_LOOP_RULE.minWrites);
  });

  it('refuses when the address changed since the diagnosis, and writes nothing', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    const obj = stored(g);
    const status = obj.status as { internalNodeStatus: { addresses: { type: string; address: string }[] } };
    status.internalNodeStatus.addresses = status.internalNodeStatus.addresses.map((a) =>
      a.type === 'InternalIP' ? { ...a, address: '10.0.1.99' } : a,
    );
    g.standin.put('local', obj);
    g.standin.clearRequests();
    const refused = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'refused');
    expect(refused.changed).toEqual([expect.stringContaining('InternalIP=10.0.1.99')]);
    expect(refused.reason).toContain('run the diagnosis again');
    expect(g.standin.countRequests({ method: 'PATCH' })).toBe(0);
    expect(stored(g).status.rkeNode).toBeUndefined();
  });

  it('applies when only the Updated condition changed (the loop rewrote it)', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    g.standin.loop.tick(5);
    expect(stored(g).metadata.resourceVersion).not.toBe(plan.resourceVersion);
    expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'applied');
    expect(writes(g.standin).okWrites).toBe(1);
  });

  it('a dry run the apiserver rejects: nothing applied, its message shown', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    const webhook =
      'admission webhook "rancher.cattle.io.nodes.management.cattle.io" denied the request: status.rkeNode is managed by Rancher';
    g.standin.faults.inject({
      method: 'PATCH',
      dryRun: true,
      status: 422,
      message: webhook,
      times: Infinity,
    });
    const failed = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'failed');
    expect(failed.message).toContain('the dry run was refused');
    expect(failed.cause).toBe('dry-run-refused');
    expect(failed.message).toContain(webhook);
    expect(failed.message).toContain('nothing was written');
    expect(writes(g.standin).writes).toBe(0);
    expect(stored(g).status.rkeNode).toBeUndefined();
  });

  it('a webhook failing the dry run with 500: nothing applied, its message shown', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    g.standin.faults.inject({
      method: 'PATCH',
      dryRun: true,
      status: 500,
      message:
        'Internal error occurred: failed calling webhook "validate.cattle.io": context deadline exceeded',
      times: Infinity,
    });
    const failed = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'failed');
    expect(failed.message).toContain('failed calling webhook');
    expect(writes(g.standin).writes).toBe(0);
  });

  it('a 409 on the write: re-read and retried, one write in the end', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    g.standin.faults.inject({
      method: 'PATCH',
      dryRun: false,
      status: 409,
      reason: 'Conflict',
      message: CONFLICT,
    });
    const applied = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'applied');
    expect(applied.attempts).toBe(2);
    expect(writes(g.standin)).toMatchObject({ writes: 2, okWrites: 1 });
    // Each attempt read the object again first.
    const gets = g.standin.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/nodes/${BROKEN}`));
    expect(gets.length).toBeGreaterThanOrEqual(3);
  });

  it('a write with no answer is thrown, not recorded as an outcome: the retried job finishes it', async () => {
    const g = (ground = await startGround({}, { retries: 0 }));
    const plan = await planNow(g.access);
    g.standin.faults.inject({ method: 'PATCH', dryRun: false, reset: true });
    const journal = memoryJournal();
    await expect(applyPatchPlan(plan, patchPorts(g.access), journal)).rejects.toThrow();
    expect(journal.steps[PATCH_STEPS.outcome]).toBeUndefined();
    expectKind(await applyPatchPlan(plan, patchPorts(g.access), journal), 'applied');
    expect(writes(g.standin)).toMatchObject({ dryRuns: 1, okWrites: 1 });
  });

  it('gives up after 10 conflicts in a row with a clear message, nothing written', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    g.standin.faults.inject({
      method: 'PATCH',
      dryRun: false,
      status: 409,
      reason: 'Conflict',
      message: CONFLICT,
      times: Infinity,
    });
    const failed = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'failed');
    expect(failed.attempts).toBe(10);
    expect(failed.message).toContain('10 times in a row');
    expect(failed.cause).toBe('conflicts');
    expect(failed.message).toContain('nothing was written');
    expect(writes(g.standin)).toMatchObject({ writes: 10, okWrites: 0 });
  });

  it('a CRD with a status subresource: spec on the object, status through /status', async () => {
    const scenario = { ...loadScenario('seed'), statusSubresources: ['nodes.management.cattle.io'] };
    const g = (ground = await startGround({ scenario }));
    const plan = await planNow(g.access);
    const applied = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'applied');
    expect(applied.requests.map((r) => r.target)).toEqual(['object', 'status']);
    expect(writes(g.standin)).toMatchObject({ okWrites: 2, statusWrites: 1 });
    expect(stored(g).status.rkeNode).toEqual((plan.mergePatch.status as Record<string, unknown>).rkeNode);
    expect(stored(g).spec.customConfig).toBeDefined();
  });

  it('refuses a node of a node pool, and a cluster that is not RKE1 custom', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    const obj = stored(g);
    g.standin.put('local', { ...obj, spec: { ...obj.spec, nodePoolName: 'c-dql6k:np-abcde' } });
    const pool = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'refused');
    expect(pool.reason).toContain('node pool');

    g.standin.put('local', obj);
    const cluster = g.standin.get('local', `/apis/management.cattle.io/v3/clusters/${CLUSTER}`)!;
    g.standin.put('local', { ...cluster, status: { ...(cluster.status as object), driver: 'imported' } });
    const imported = expectKind(await applyPatchPlan(plan, patchPorts(g.access), memoryJournal()), 'refused');
    expect(imported.reason).toContain('not an RKE1 cluster');
    expect(g.standin.countRequests({ method: 'PATCH' })).toBe(0);
  });

  it('resumes after a kill between the dry run and the write: one write, no second dry run', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    const journal = memoryJournal({
      [PATCH_STEPS.eligibility]: { eligible: true },
      [PATCH_STEPS.subresources]: { status: false },
      [PATCH_STEPS.dryRun]: { resourceVersion: plan.resourceVersion },
    });
    expectKind(await applyPatchPlan(plan, patchPorts(g.access), journal), 'applied');
    expect(writes(g.standin)).toMatchObject({ dryRuns: 0, writes: 1, okWrites: 1 });
  });

  it('resumes after a kill between the write and its record: sees the fix, records already applied, writes nothing', async () => {
    const g = (ground = await startGround());
    const plan = await planNow(g.access);
    const journal = memoryJournal();
    // The first run wrote; its outcome never reached the journal.
    await applyPatchPlan(plan, patchPorts(g.access), {
      get: (step) => journal.get(step),
      record: (step, value) =>
        step === PATCH_STEPS.outcome ? Promise.resolve() : journal.record(step, value),
    });
    expect(writes(g.standin).okWrites).toBe(1);
    g.standin.clearRequests();
    const again = expectKind(await applyPatchPlan(plan, patchPorts(g.access), journal), 'already-applied');
    expect(again.resourceVersion).toBe(stored(g).metadata.resourceVersion);
    expect(journal.steps[PATCH_STEPS.outcome]).toEqual(again);
    expect(g.standin.countRequests({ method: 'PATCH' })).toBe(0);
    // And once recorded, a third run answers from the journal without a request.
    await applyPatchPlan(plan, patchPorts(g.access), journal);
    expect(g.standin.countRequests()).toBe(1);
  });
});
