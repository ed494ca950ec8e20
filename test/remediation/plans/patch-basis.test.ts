import { describe, expect, it } from '@jest/globals';
import { clusterFacts } from '../../../src/diagnosis/nodes.js';
import type { ManagementCluster, ManagementNode } from '../../../src/diagnosis/objects.js';
import { applyMergePatch } from '../../../src/remediation/plans/merge-patch.js';
import { basisChanges, fixProgress, patchBasis } from '../../../src/remediation/plans/patch-basis.js';
import { patchEligibility } from '../../../src/remediation/plans/patch-eligibility.js';
import { buildPatchPlan } from '../../../src/remediation/plans/patch-plan.js';
import { nodeObject } from '../../diagnosis/fixtures.js';

const broken = nodeObject('machine-h46dc', { hostname: 'node3', ip: '10.0.0.3', roles: ['worker'] });
const sibling = nodeObject('m-aaaaa', { hostname: 'node1', ip: '10.0.0.1', rke: true });
const plan = buildPatchPlan(broken, sibling);

function changed(edit: (node: ManagementNode) => void): string[] {
  const node = structuredClone(broken);
  edit(node);
  return basisChanges(plan.basis!, node, fixProgress(node, plan));
}

describe('the patch basis', () => {
  it('is what the plan is built from', () => {
    expect(patchBasis(broken)).toEqual({
      addresses: ['Hostname=node3', 'InternalIP=10.0.0.3'],
      hostname: 'node3',
      roles: ['worker'],
      rkeNodeAbsent: true,
      customConfigAbsent: true,
    });
  });

  it('does not change with what the loop rewrites: the Updated condition, the resourceVersion, docker info', () => {
    expect(
      changed((n) => {
        n.metadata.resourceVersion = '999';
        (n.status as Record<string, unknown>).conditions = [
          { type: 'Updated', status: 'True', lastUpdateTime: '2026-01-01T00:00:00Z' },
        ];
        (n.status as Record<string, unknown>).dockerInfo = { ID: 'x' };
      }),
    ).toEqual([]);
  });

  it('names each change of what the patch is built from', () => {
    expect(
      changed((n) => {
        n.status.internalNodeStatus!.addresses = [{ type: 'InternalIP', address: '10.0.0.99' }];
      }),
    ).toEqual(['addresses: Hostname=node3, InternalIP=10.0.0.3 → InternalIP=10.0.0.99']);
    expect(changed((n) => (n.spec.requestedHostname = 'node9'))).toEqual(['hostname: node3 → node9']);
    expect(changed((n) => (n.spec.etcd = true))).toEqual(['roles: worker → etcd, worker']);
    expect(changed((n) => (n.status.rkeNode = { address: '10.0.0.3', nodeName: 'other' }))).toEqual([
      'status.rkeNode was set by someone else',
    ]);
    expect(changed((n) => (n.spec.customConfig = { address: '10.0.0.3' }))).toEqual([
      'spec.customConfig was set by someone else',
    ]);
  });

  it('a part of the fix in place as planned is progress, not a change', () => {
    const patched = applyMergePatch(broken, { spec: plan.mergePatch.spec }) as ManagementNode;
    expect(fixProgress(patched, plan)).toEqual({ specInPlace: true, statusInPlace: false });
    expect(basisChanges(plan.basis!, patched, fixProgress(patched, plan))).toEqual([]);
    const done = applyMergePatch(broken, plan.mergePatch) as ManagementNode;
    expect(fixProgress(done, plan)).toEqual({ specInPlace: true, statusInPlace: true });
  });
});

function cluster(
  id: string,
  driver: string | null,
  rkeConfig = driver === 'rancherKubernetesEngine',
): ManagementCluster {
  return {
    metadata: { name: id },
    spec: { ...(rkeConfig ? { rancherKubernetesEngineConfig: {} } : {}) },
    status: { ...(driver ? { driver } : {}) },
  };
}

describe('who may get the patch', () => {
  const facts = (c: ManagementCluster) => clusterFacts(c);

  it('a custom node of an RKE1 cluster', () => {
    expect(patchEligibility(facts(cluster('c-dql6k', 'rancherKubernetesEngine')), broken)).toEqual({
      eligible: true,
    });
    expect(patchEligibility(facts(cluster('c-dql6k', null, true)), broken)).toEqual({ eligible: true });
  });

  it('never a v2prov cluster, another driver, a node pool or an imported node', () => {
    const refused = (c: ManagementCluster, n: ManagementNode = broken) => {
      const e = patchEligibility(facts(c), n);
      return e.eligible ? null : e.reason;
    };
    expect(refused(cluster('c-m-abcd1234', 'rke2'))).toContain('v2prov');
    expect(refused(cluster('c-abcde', 'imported'))).toContain(
      'not an RKE1 cluster (status.driver: imported)',
    );
    expect(refused(cluster('c-abcde', 'k3s'))).toContain('not an RKE1 cluster');
    const pooled = structuredClone(broken);
    pooled.spec.nodePoolName = 'c-dql6k:np-1';
    expect(refused(cluster('c-dql6k', 'rancherKubernetesEngine'), pooled)).toContain(
      'node pool c-dql6k:np-1',
    );
    expect(
      refused(cluster('c-dql6k', 'rancherKubernetesEngine'), nodeObject('machine-x', { imported: true })),
    ).toContain('imported');
  });
});
