import type { SuspectEvidence } from './collectors/collector.js';
import { collectHeat, rancherNodeOf, type Heat } from './findings.js';
import { orphanSuspects, type ClusterFacts } from './nodes.js';
import type { ManagementNode } from './objects.js';
import type { WriteActivityEvidence } from './types.js';

/** A node object that was hot, or has the shape of the failure, or both. */
export interface NodeSuspect {
  clusterId: string;
  nodeId: string;
  /** null when it was hot but is no longer there. */
  node: ManagementNode | null;
  heat: Heat | null;
  /** What the suspect collectors found about it; null when they were not asked (not an orphan). */
  evidence: SuspectEvidence | null;
}

/** Everything the analyzers look at. */
export interface CollectedFacts {
  clusterById: Map<string, ClusterFacts>;
  nodesByCluster: Map<string, ManagementNode[]>;
  inScope(clusterId: string | null): boolean;
  /** Every object hot in any evidence, keyed by object path. */
  heat: Map<string, Heat>;
  /** By cluster, then node. */
  suspects: NodeSuspect[];
  /** settings server-version; null when not known. */
  rancherVersion: string | null;
}

const nodeKey = (clusterId: string, nodeId: string) => `${clusterId}/${nodeId}`;

/** The node objects to look at closely: the hot ones in scope, and the orphaned machine- ones whatever the logs say. */
export function findSuspects(
  heat: Map<string, Heat>,
  nodes: ManagementNode[],
  clusterById: Map<string, ClusterFacts>,
  inScope: (clusterId: string | null) => boolean,
): NodeSuspect[] {
  const nodeByKey = new Map(nodes.map((n) => [nodeKey(n.metadata.namespace ?? '', n.metadata.name), n]));
  const suspects = new Map<string, NodeSuspect>();
  for (const h of heat.values()) {
    const rn = rancherNodeOf(h.hot);
    if (!rn || !inScope(rn.clusterId)) continue;
    const key = nodeKey(rn.clusterId, rn.nodeId);
    suspects.set(key, { ...rn, node: nodeByKey.get(key) ?? null, heat: h, evidence: null });
  }
  for (const n of orphanSuspects(nodes, clusterById)) {
    const key = nodeKey(n.metadata.namespace ?? '', n.metadata.name);
    if (!suspects.has(key))
      suspects.set(key, {
        clusterId: n.metadata.namespace ?? '',
        nodeId: n.metadata.name,
        node: n,
        heat: null,
        evidence: null,
      });
  }
  return [...suspects.values()].sort(
    (a, b) => a.clusterId.localeCompare(b.clusterId) || a.nodeId.localeCompare(b.nodeId),
  );
}

export function collectFacts(
  activity: WriteActivityEvidence[],
  nodes: ManagementNode[],
  clusterById: Map<string, ClusterFacts>,
  inScope: (clusterId: string | null) => boolean,
  rancherVersion: string | null = null,
): CollectedFacts {
  const nodesByCluster = new Map<string, ManagementNode[]>();
  for (const n of nodes) {
    const ns = n.metadata.namespace ?? '';
    const list = nodesByCluster.get(ns) ?? [];
    list.push(n);
    nodesByCluster.set(ns, list);
  }
  const heat = collectHeat(activity);
  return {
    clusterById,
    nodesByCluster,
    inScope,
    heat,
    suspects: findSuspects(heat, nodes, clusterById, inScope),
    rancherVersion,
  };
}
