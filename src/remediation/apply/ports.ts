import type { ManagementCluster, ManagementNode } from '../../diagnosis/objects.js';

/**
 * What applying the patch needs of the Rancher local cluster. src/rancher implements it; a write
 * the apiserver refuses throws WriteRefusedError (src/errors.ts), a conflict among them.
 */
export interface PatchPorts {
  getCluster(clusterId: string, signal?: AbortSignal): Promise<ManagementCluster>;
  getNodeObject(clusterId: string, nodeId: string, signal?: AbortSignal): Promise<ManagementNode>;
  /** Whether the CRD of nodes.management.cattle.io declares a status subresource (v3). */
  nodeObjectsHaveStatusSubresource(signal?: AbortSignal): Promise<boolean>;
  patchNodeObject(
    clusterId: string,
    nodeId: string,
    mergePatch: Record<string, unknown>,
    options: { dryRun: boolean; subresource?: 'status' },
    signal?: AbortSignal,
  ): Promise<ManagementNode>;
}
