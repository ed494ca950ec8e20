import type {
  KubeNode,
  ManagementCluster,
  ManagementNode,
  Pod,
  PodDisruptionBudget,
} from '../../diagnosis/objects.js';

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

/** What an eviction came to: done, refused by a PodDisruptionBudget (429), or the pod was gone (404). */
export type EvictionAnswer = { kind: 'evicted' } | { kind: 'blocked'; message: string } | { kind: 'gone' };

/**
 * What the drain needs: the node object in the local cluster, and the node and its pods in the
 * downstream cluster. A read answers null for NotFound; a write the apiserver refuses throws
 * WriteRefusedError (a failed UID precondition is a 409 among them).
 */
export interface DrainPorts {
  getNodeObject(clusterId: string, nodeId: string, signal?: AbortSignal): Promise<ManagementNode | null>;
  getNode(clusterId: string, name: string, signal?: AbortSignal): Promise<KubeNode | null>;
  listNodes(clusterId: string, signal?: AbortSignal): Promise<KubeNode[]>;
  /** Merge patch of spec.unschedulable, pinned to the resourceVersion read. */
  setUnschedulable(
    clusterId: string,
    name: string,
    unschedulable: boolean,
    options: { dryRun: boolean; resourceVersion: string },
    signal?: AbortSignal,
  ): Promise<KubeNode>;
  listPodsOnNode(clusterId: string, name: string, signal?: AbortSignal): Promise<Pod[]>;
  getPod(clusterId: string, namespace: string, name: string, signal?: AbortSignal): Promise<Pod | null>;
  listPodDisruptionBudgets(clusterId: string, signal?: AbortSignal): Promise<PodDisruptionBudget[]>;
  /** The policy/v1 Eviction of the pod, with the pod's own grace period. */
  evictPod(clusterId: string, namespace: string, name: string, signal?: AbortSignal): Promise<EvictionAnswer>;
  /** Deletes the node with DeleteOptions.preconditions.uid, so a node re-created under its name is kept. */
  deleteNode(
    clusterId: string,
    name: string,
    options: { uid: string; dryRun: boolean },
    signal?: AbortSignal,
  ): Promise<void>;
}
