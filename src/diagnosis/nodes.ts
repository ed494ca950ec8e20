import type { KubeNode, ManagementCluster, ManagementNode } from './objects.js';

/**
 * Node analysis: what a node object lacks, what else exists for the same host, and which healthy
 * sibling to compare with. Pure: objects in, facts out.
 */

export interface ClusterFacts {
  id: string;
  displayName: string;
  driver: string | null;
  /** RKE1 (custom or node-pool) cluster: nodessyncer must not create machine- objects there. */
  isRke1: boolean;
}

export function clusterFacts(cluster: ManagementCluster): ClusterFacts {
  const driver = cluster.status.driver ?? null;
  return {
    id: cluster.metadata.name,
    displayName: cluster.status.appliedSpec?.displayName || cluster.spec.displayName || cluster.metadata.name,
    driver,
    isRke1:
      driver === 'rancherKubernetesEngine' ||
      (driver === null && cluster.spec.rancherKubernetesEngineConfig != null),
  };
}

export type Role = 'etcd' | 'controlplane' | 'worker';

export function nodeRoles(node: ManagementNode): Role[] {
  const roles: Role[] = [];
  if (node.spec.etcd) roles.push('etcd');
  if (node.spec.controlPlane) roles.push('controlplane');
  if (node.spec.worker) roles.push('worker');
  return roles;
}

export function nodeAddresses(node: ManagementNode): { type: string; address: string }[] {
  return (node.status.internalNodeStatus?.addresses ?? []).map((a) => ({ type: a.type, address: a.address }));
}

export function internalIp(node: ManagementNode): string | null {
  return nodeAddresses(node).find((a) => a.type === 'InternalIP')?.address ?? null;
}

/** The host's name as far as the object tells: the Kubernetes node name, else the requested hostname. */
export function nodeHostname(node: ManagementNode): string | null {
  return (
    node.status.nodeName ||
    node.spec.requestedHostname ||
    node.status.nodeLabels?.['kubernetes.io/hostname'] ||
    nodeAddresses(node).find((a) => a.type === 'Hostname')?.address ||
    null
  );
}

export const isMachineNode = (node: ManagementNode): boolean => node.metadata.name.startsWith('machine-');
export const isRegisteredNode = (node: ManagementNode): boolean => node.metadata.name.startsWith('m-');

/**
 * The shape of the failure: a machine- object that nodessyncer made in an RKE1 cluster (where it
 * must not), without the status.rkeNode that would let the node agent get its plan.
 */
export function isOrphanedMachineNode(
  node: ManagementNode,
  cluster: ClusterFacts | null | undefined,
): boolean {
  return (
    isMachineNode(node) && node.status.rkeNode == null && !node.spec.imported && cluster?.isRke1 === true
  );
}

export interface SameHostMatch {
  nodeId: string;
  /** Which facts matched: 'hostname', 'node name', 'address 10.0.0.5'. */
  matchedBy: string[];
  hasRkeNode: boolean;
}

export interface NodeAnalysis {
  clusterId: string;
  nodeId: string;
  cluster: ClusterFacts | null;
  isMachineNode: boolean;
  lacksRkeNode: boolean;
  lacksCustomConfig: boolean;
  hostname: string | null;
  ip: string | null;
  addresses: { type: string; address: string }[];
  roles: Role[];
  /** m- objects of the same cluster that describe the same host. */
  sameHost: SameHostMatch[];
  /** Name of the Kubernetes node downstream the object mirrors, when known. */
  downstreamNodeName: string | null;
  /** true/false when the downstream node list was read; null when it could not be. */
  downstreamNodePresent: boolean | null;
  sibling: ManagementNode | null;
  /** An orphaned machine- node of an RKE1 cluster: the shape of the failure. */
  isOrphanedMachineNode: boolean;
}

function hostKeys(node: ManagementNode): { names: Set<string>; addresses: Set<string> } {
  const names = new Set<string>();
  for (const n of [
    node.status.nodeName,
    node.spec.requestedHostname,
    node.status.rkeNode?.hostnameOverride,
  ]) {
    if (n) names.add(n.toLowerCase());
  }
  const addresses = new Set<string>();
  for (const a of nodeAddresses(node)) {
    if (a.type === 'Hostname') names.add(a.address.toLowerCase());
    else addresses.add(a.address);
  }
  for (const a of [
    node.status.rkeNode?.address,
    node.status.rkeNode?.internalAddress,
    node.spec.customConfig?.address,
  ]) {
    if (a) addresses.add(a);
  }
  return { names, addresses };
}

export function findSameHost(node: ManagementNode, clusterNodes: ManagementNode[]): SameHostMatch[] {
  const mine = hostKeys(node);
  const matches: SameHostMatch[] = [];
  for (const other of clusterNodes) {
    if (other.metadata.name === node.metadata.name || !isRegisteredNode(other)) continue;
    const theirs = hostKeys(other);
    const matchedBy: string[] = [];
    for (const n of mine.names) if (theirs.names.has(n)) matchedBy.push(`hostname ${n}`);
    for (const a of mine.addresses) if (theirs.addresses.has(a)) matchedBy.push(`address ${a}`);
    if (matchedBy.length) {
      matches.push({ nodeId: other.metadata.name, matchedBy, hasRkeNode: other.status.rkeNode != null });
    }
  }
  return matches.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}

/**
 * A healthy sibling: same cluster, has status.rkeNode. Prefer one with the same roles, then one
 * that also has spec.customConfig, then by name so the choice is stable.
 */
export function chooseSibling(node: ManagementNode, clusterNodes: ManagementNode[]): ManagementNode | null {
  const roles = nodeRoles(node).join(',');
  const candidates = clusterNodes.filter(
    (n) =>
      n.metadata.name !== node.metadata.name && n.status.rkeNode != null && !n.metadata.deletionTimestamp,
  );
  const score = (n: ManagementNode) =>
    (nodeRoles(n).join(',') === roles ? 2 : 0) + (n.spec.customConfig != null ? 1 : 0);
  candidates.sort((a, b) => score(b) - score(a) || a.metadata.name.localeCompare(b.metadata.name));
  return candidates[0] ?? null;
}

export function findDownstreamNode(node: ManagementNode, downstreamNodes: KubeNode[]): KubeNode | null {
  const name = node.status.nodeName ?? null;
  if (name) {
    const byName = downstreamNodes.find((k) => k.metadata.name === name);
    if (byName) return byName;
  }
  const ip = internalIp(node);
  if (ip) {
    return downstreamNodes.find((k) => (k.status.addresses ?? []).some((a) => a.address === ip)) ?? null;
  }
  return null;
}

/** The Kubernetes node downstream the object mirrors: its name when known, and whether it is there (null: not read). */
export function locateDownstreamNode(
  node: ManagementNode,
  downstreamNodes: KubeNode[] | null,
): { name: string | null; present: boolean | null } {
  const downstream = downstreamNodes ? findDownstreamNode(node, downstreamNodes) : null;
  return {
    name: downstream?.metadata.name ?? node.status.nodeName ?? null,
    present: downstreamNodes ? downstream !== null : null,
  };
}

export function analyzeNode(
  node: ManagementNode,
  clusterNodes: ManagementNode[],
  cluster: ClusterFacts | null,
  downstreamNodes: KubeNode[] | null,
): NodeAnalysis {
  const clusterId = node.metadata.namespace ?? cluster?.id ?? '';
  const downstream = locateDownstreamNode(node, downstreamNodes);
  const lacksRkeNode = node.status.rkeNode == null;
  const lacksCustomConfig = node.spec.customConfig == null;
  const machine = isMachineNode(node);
  return {
    clusterId,
    nodeId: node.metadata.name,
    cluster,
    isMachineNode: machine,
    lacksRkeNode,
    lacksCustomConfig,
    hostname: nodeHostname(node),
    ip: internalIp(node),
    addresses: nodeAddresses(node),
    roles: nodeRoles(node),
    sameHost: findSameHost(node, clusterNodes),
    downstreamNodeName: downstream.name,
    downstreamNodePresent: downstream.present,
    sibling: chooseSibling(node, clusterNodes),
    isOrphanedMachineNode: isOrphanedMachineNode(node, cluster),
  };
}

/** The machine- node objects of RKE1 clusters that lack status.rkeNode: suspects whatever the logs say. */
export function orphanSuspects(
  nodes: ManagementNode[],
  clusters: Map<string, ClusterFacts>,
): ManagementNode[] {
  return nodes.filter((n) => isOrphanedMachineNode(n, clusters.get(n.metadata.namespace ?? '')));
}
