import type { ClusterFacts } from '../../diagnosis/nodes.js';
import type { ManagementNode } from '../../diagnosis/objects.js';

/**
 * Fix A is only for the nodes of custom RKE1 clusters: there a node object without rkeNode is the
 * fault. Node-driver pools make their own objects, and Rancher-provisioned RKE2/k3s clusters
 * (v2prov, ids c-m-...) have machine- objects without rkeNode by design. Pure.
 */
export type PatchEligibility = { eligible: true } | { eligible: false; reason: string };

/** `cluster` as diagnosis/nodes.ts's clusterFacts() reads it from the Cluster object. */
export function patchEligibility(cluster: ClusterFacts, node: ManagementNode): PatchEligibility {
  const { id, driver } = cluster;
  const refuse = (reason: string): PatchEligibility => ({ eligible: false, reason });
  if (id.startsWith('c-m-'))
    return refuse(
      `${id} is an RKE2/k3s cluster provisioned by Rancher (v2prov): its machine- node objects have no rkeNode by design, and the patch must never be applied there`,
    );
  if (!cluster.isRke1)
    return refuse(
      `${id} is not an RKE1 cluster (status.driver: ${driver ?? 'none'}): the patch is only for custom RKE1 clusters`,
    );
  if (node.spec.nodePoolName)
    return refuse(
      `${node.metadata.name} belongs to node pool ${node.spec.nodePoolName}: the patch is only for custom nodes, not node-driver pools`,
    );
  if (node.spec.imported)
    return refuse(`${node.metadata.name} is an imported node: the patch is only for custom nodes`);
  return { eligible: true };
}
