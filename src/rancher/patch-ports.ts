import type { PatchPorts } from '../remediation/apply/ports.js';
import type { ClusterAccess } from './access.js';

/** The version of nodes.management.cattle.io the product reads and writes. */
const NODE_VERSION = 'v3';

/** Applying the patch, on top of a ClusterAccess. */
export function patchPorts(access: ClusterAccess): PatchPorts {
  return {
    getCluster: (clusterId, signal) => access.getCluster(clusterId, signal),
    getNodeObject: (clusterId, nodeId, signal) => access.getNodeObject(clusterId, nodeId, signal),
    async nodeObjectsHaveStatusSubresource(signal) {
      const crd = await access.getNodeObjectCrd(signal);
      const version = crd.spec.versions.find((v) => v.name === NODE_VERSION);
      return version?.subresources?.status != null;
    },
    patchNodeObject: (clusterId, nodeId, mergePatch, options, signal) =>
      access.patchNodeObject(clusterId, nodeId, mergePatch, options, signal),
  };
}
