import type { KubeNode, ManagementCluster, ManagementNode } from './objects.js';

/**
 * Node analysis: what a node object lacks, what else exists for the same host, and which healthy
 * sibling to compare with. Pure: objects in, facts out.
 */

/**
 * How Rancher came to manage a cluster, which decides what its node objects should look like:
 * `rke1` (custom or node pools: every node object should get status.rkeNode), `v2prov` (RKE2/k3s
 * provisioned by Rancher 2.6+, ids c-m-...: machine- objects without rkeNode by design),
 * `imported`, `hosted` (EKS, AKS, GKE), `other`.
 */
export type ClusterKind = 'rke1' | 'v2prov' | 'imported' | 'hosted' | 'other';

export interface ClusterFacts {
  id: string;
  displayName: string;
  driver: string | null;
  /** RKE1 (custom or node-pool) cluster: nodessyncer must not create machine- objects there. */
  isRke1: boolean;
  /** Absent in facts made before it was added: read it with clusterKind(). */
  kind?: ClusterKind;
}

const HOSTED_DRIVERS = new Set([
  'aks',
  'eks',
  'gke',
  'azurekubernetesservice',
  'amazonelasticcontainerservice',
  'googlekubernetesengine',
]);

/** Rancher names the management cluster of a v2prov cluster c-m- + 8 characters. */
export const isV2provClusterId = (id: string): boolean => id.startsWith('c-m-');

export function clusterFacts(cluster: ManagementCluster): ClusterFacts {
  const id = cluster.metadata.name;
  const driver = cluster.status.driver ?? null;
  const rke1 =
    !isV2provClusterId(id) &&
    (driver === 'rancherKubernetesEngine' ||
      (driver === null && cluster.spec.rancherKubernetesEngineConfig != null));
  let kind: ClusterKind;
  if (rke1) kind = 'rke1';
  else if (isV2provClusterId(id)) kind = 'v2prov';
  else if (driver && HOSTED_DRIVERS.has(driver.toLowerCase())) kind = 'hosted';
  else if (driver === 'imported' || driver === 'k3s' || driver === 'rke2') kind = 'imported';
  else kind = 'other';
  return {
    id,
    displayName: cluster.status.appliedSpec?.displayName || cluster.spec.displayName || id,
    driver,
    isRke1: rke1,
    kind,
  };
}

export function clusterKind(cluster: ClusterFacts): ClusterKind {
  return cluster.kind ?? (cluster.isRke1 ? 'rke1' : isV2provClusterId(cluster.id) ? 'v2prov' : 'other');
}

/** A node a node-driver pool made (m- + 5 characters, spec.nodePoolName): Rancher owns its host. */
export const isNodePoolNode = (node: ManagementNode): boolean => Boolean(node.spec.nodePoolName);

/**
 * A node whose host Rancher provisions itself: any node of a v2prov cluster, or a node-pool node of
 * an RKE1 cluster. Without status.rkeNode such a node is not the known failure; hot, its cause is
 * not known, and it is removed through what made it (the CAPI Machine, the node pool), never patched.
 */
export function isProvisionedNode(node: ManagementNode, cluster: ClusterFacts | null | undefined): boolean {
  if (!cluster) return false;
  const kind = clusterKind(cluster);
  return kind === 'v2prov' || (kind === 'rke1' && isNodePoolNode(node));
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
