import type { DrainPorts } from '../remediation/apply/ports.js';
import { AccessError } from '../errors.js';
import type { ClusterAccess } from './access.js';

/** Carrying out the drain, on top of a ClusterAccess: the node object locally, the rest downstream. */
export function drainPorts(access: ClusterAccess): DrainPorts {
  const down = (clusterId: string) => access.downstream(clusterId);
  return {
    async getNodeObject(clusterId, nodeId, signal) {
      try {
        return await access.getNodeObject(clusterId, nodeId, signal);
      } catch (error) {
        if (error instanceof AccessError && error.status === 404) return null;
        throw error;
      }
    },
    getNode: (clusterId, name, signal) => down(clusterId).getNode(name, signal),
    listNodes: (clusterId, signal) => down(clusterId).listNodes(signal),
    setUnschedulable: (clusterId, name, unschedulable, options, signal) =>
      down(clusterId).patchNode(
        name,
        // The resourceVersion pins the node the checks just read.
        { metadata: { resourceVersion: options.resourceVersion }, spec: { unschedulable } },
        { dryRun: options.dryRun },
        signal,
      ),
    listPodsOnNode: (clusterId, name, signal) => down(clusterId).listPodsOnNode(name, signal),
    getPod: (clusterId, namespace, name, signal) => down(clusterId).getPod(namespace, name, signal),
    listPodDisruptionBudgets: (clusterId, signal) => down(clusterId).listPodDisruptionBudgets(signal),
    evictPod: (clusterId, namespace, name, signal) => down(clusterId).evictPod(namespace, name, signal),
    deleteNode: (clusterId, name, options, signal) => down(clusterId).deleteNode(name, options, signal),
  };
}
