import { describe, expect, it } from '@jest/globals';
import { kubeNodeSchema } from '../../src/rancher/schemas.js';
import {
  analyzeNode,
  chooseSibling,
  clusterFacts,
  findSameHost,
  orphanSuspects,
} from '../../src/diagnosis/nodes.js';
import { nodeObject, rkeCluster } from './fixtures.js';

const kubeNode = (name: string, ip: string) =>
  kubeNodeSchema.parse({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });

describe('clusterFacts', () => {
  it('prefers status.appliedSpec.displayName and recognises RKE1', () => {
    const c = rkeCluster('c-dql6k', 'prod-eu');
    c.status.appliedSpec = { displayName: 'applied-name' };
    c.spec.displayName = 'spec-name';
    expect(clusterFacts(c)).toEqual({
      id: 'c-dql6k',
      displayName: 'applied-name',
      driver: 'rancherKubernetesEngine',
      isRke1: true,
      kind: 'rke1',
    });
  });
  it('tells each kind of cluster: v2prov by its c-m- id whatever the driver says, hosted, imported', () => {
    const kind = (id: string, driver: string) => clusterFacts(rkeCluster(id, 'x', driver));
    expect(kind('c-m-4x7bqz2n', 'rke2')).toMatchObject({ kind: 'v2prov', isRke1: false });
    expect(kind('c-m-4x7bqz2n', 'rancherKubernetesEngine')).toMatchObject({ kind: 'v2prov', isRke1: false });
    expect(kind('c-eks01', 'EKS').kind).toBe('hosted');
    expect(kind('c-aks01', 'AKS').kind).toBe('hosted');
    expect(kind('c-k3s01', 'k3s').kind).toBe('imported');
    expect(kind('c-imp01', 'imported').kind).toBe('imported');
    expect(kind('c-odd01', 'somethingElse').kind).toBe('other');
  });
  it('falls back to spec.displayName and marks imported clusters as not RKE1', () => {
    const c = rkeCluster('c-imp01', 'edge', 'imported');
    c.status.appliedSpec = null;
    expect(clusterFacts(c)).toMatchObject({ displayName: 'edge', isRke1: false });
  });
});

describe('analyzeNode', () => {
  const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-eu'));
  const healthy = nodeObject('m-aaaaa', { hostname: 'node1', ip: '10.0.0.1', rke: true });
  const broken = nodeObject('machine-h46dc', { hostname: 'node3', ip: '10.0.0.3', roles: ['worker'] });

  it('describes an orphaned machine- node of a custom cluster', () => {
    const a = analyzeNode(broken, [healthy, broken], cluster, [
      kubeNode('node1', '10.0.0.1'),
      kubeNode('node3', '10.0.0.3'),
    ]);
    expect(a).toMatchObject({
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      isMachineNode: true,
      lacksRkeNode: true,
      lacksCustomConfig: true,
      hostname: 'node3',
      ip: '10.0.0.3',
      roles: ['worker'],
      sameHost: [],
      downstreamNodeName: 'node3',
      downstreamNodePresent: true,
      isOrphanedMachineNode: true,
    });
    expect(a.sibling?.metadata.name).toBe('m-aaaaa');
  });

  it('says when the downstream node is gone, and null when the list was not read', () => {
    expect(
      analyzeNode(broken, [healthy, broken], cluster, [kubeNode('node1', '10.0.0.1')]).downstreamNodePresent,
    ).toBe(false);
    expect(analyzeNode(broken, [healthy, broken], cluster, null).downstreamNodePresent).toBeNull();
  });

  it('does not call a machine- node of an imported cluster orphaned', () => {
    const imported = clusterFacts(rkeCluster('c-imp01', 'edge', 'imported'));
    const n = nodeObject('machine-x1', { cluster: 'c-imp01' });
    expect(analyzeNode(n, [n], imported, null).isOrphanedMachineNode).toBe(false);
  });
});

describe('findSameHost', () => {
  it('matches an m- object by hostname or address', () => {
    const broken = nodeObject('machine-h46dc', { hostname: 'node3', ip: '10.0.0.3' });
    const sameByName = nodeObject('m-bbbbb', { hostname: 'node3', ip: '10.9.9.9' });
    const sameByIp = nodeObject('m-ccccc', { hostname: 'other', ip: '10.0.0.3', rke: true });
    const unrelated = nodeObject('m-ddddd', { hostname: 'node4', ip: '10.0.0.4', rke: true });
    const matches = findSameHost(broken, [broken, sameByName, sameByIp, unrelated]);
    expect(matches.map((m) => m.nodeId)).toEqual(['m-bbbbb', 'm-ccccc']);
    expect(matches[0]!.matchedBy).toContain('hostname node3');
    expect(matches[1]!.matchedBy).toContain('address 10.0.0.3');
    expect(matches[1]!.hasRkeNode).toBe(true);
  });
});

describe('chooseSibling', () => {
  it('prefers a healthy node with the same roles, then by name', () => {
    const broken = nodeObject('machine-h46dc', { roles: ['worker'] });
    const cp = nodeObject('m-aaaaa', { roles: ['etcd', 'controlplane'], rke: true });
    const w2 = nodeObject('m-zzzzz', { roles: ['worker'], rke: true });
    const w1 = nodeObject('m-yyyyy', { roles: ['worker'], rke: true });
    expect(chooseSibling(broken, [broken, cp, w2, w1])?.metadata.name).toBe('m-yyyyy');
    expect(chooseSibling(broken, [broken, cp])?.metadata.name).toBe('m-aaaaa');
    expect(chooseSibling(broken, [broken])).toBeNull();
  });
});

describe('orphanSuspects', () => {
  it('selects machine- nodes without rkeNode in RKE1 clusters only', () => {
    const clusters = new Map([
      ['c-dql6k', clusterFacts(rkeCluster('c-dql6k', 'prod'))],
      ['c-imp01', clusterFacts(rkeCluster('c-imp01', 'edge', 'imported'))],
    ]);
    const nodes = [
      nodeObject('machine-h46dc'),
      nodeObject('machine-ok', { rke: true }),
      nodeObject('m-aaaaa'),
      nodeObject('machine-imp', { cluster: 'c-imp01' }),
      nodeObject('machine-unknown-cluster', { cluster: 'c-gone' }),
    ];
    expect(orphanSuspects(nodes, clusters).map((n) => n.metadata.name)).toEqual(['machine-h46dc']);
  });
});
