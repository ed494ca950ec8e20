import { describe, expect, it } from '@jest/globals';
import { findMachine } from '../../src/diagnosis/collectors/capi-machine.js';
import { clusterFacts, isProvisionedNode } from '../../src/diagnosis/nodes.js';
import type { CapiMachine, ProvisioningCluster } from '../../src/diagnosis/objects.js';
import { patchEligibility } from '../../src/remediation/plans/patch-eligibility.js';
import { nodeObject, rkeCluster } from './fixtures.js';

const machine = (name: string, cluster: string, node: string): CapiMachine => ({
  metadata: { name, namespace: 'fleet-default', labels: { 'cluster.x-k8s.io/cluster-name': cluster } },
  spec: { clusterName: cluster, infrastructureRef: { kind: 'CustomMachine', name } },
  status: { nodeRef: { name: node }, phase: 'Running' },
});
const owner: ProvisioningCluster = {
  metadata: { name: 'edge-rke2', namespace: 'fleet-default' },
  status: { clusterName: 'c-m-4x7bqz2n' },
};

describe('the CAPI Machine behind a v2prov node', () => {
  const machines = [
    machine('custom-other', 'other', 'rke2-worker-1'),
    machine('custom-a41b', 'edge-rke2', 'rke2-worker-1'),
  ];

  it('by the annotation the node carries, else by status.nodeRef among the Machines of its cluster', () => {
    const annotated = nodeObject('machine-rk2w1', { hostname: 'rke2-worker-1' });
    annotated.status.nodeAnnotations = { 'cluster.x-k8s.io/machine': 'custom-a41b' };
    expect(findMachine(annotated, 'rke2-worker-1', owner, machines, 'fleet-default')).toMatchObject({
      name: 'custom-a41b',
      matchedBy: "the node's cluster.x-k8s.io/machine annotation",
    });
    const bare = nodeObject('machine-rk2w1', { hostname: 'rke2-worker-1' });
    expect(findMachine(bare, 'rke2-worker-1', owner, machines, 'fleet-default')).toMatchObject({
      name: 'custom-a41b',
      infrastructureKind: 'CustomMachine',
      matchedBy: 'its status.nodeRef (Kubernetes node rke2-worker-1)',
    });
    expect(findMachine(bare, 'nowhere', owner, machines, 'fleet-default')).toBeNull();
  });

  it('a v2prov or node-pool node is provisioned, and the patch eligibility refuses both', () => {
    const v2 = clusterFacts(rkeCluster('c-m-4x7bqz2n', 'edge-rke2', 'rke2'));
    const rke1 = clusterFacts(rkeCluster('c-np4k7', 'pool-east'));
    const machineNode = nodeObject('machine-rk2w1', {});
    const poolNode = nodeObject('m-q2v7n', {});
    poolNode.spec.nodePoolName = 'c-np4k7:np-2mw8r';
    expect(isProvisionedNode(machineNode, v2)).toBe(true);
    expect(isProvisionedNode(poolNode, rke1)).toBe(true);
    expect(isProvisionedNode(nodeObject('machine-h46dc', {}), rke1)).toBe(false);
    expect(patchEligibility(v2, machineNode).eligible).toBe(false);
    expect(patchEligibility(rke1, poolNode).eligible).toBe(false);
  });
});
