import type { ClusterPorts, DownstreamReader, LocalClusterReader } from '../diagnosis/ports.js';
import type { ClusterAccess } from './access.js';
import { explainReadFailure } from './read-failure.js';
import { parseObject, podSchema, type Pod as EdgePod } from './schemas.js';
import type { Pod } from '../diagnosis/objects.js';

/** A pod the diagnosis hands back (one it was given) in the edge's own type. */
const edgePod = (pod: Pod): EdgePod => parseObject(podSchema, pod, `pod ${pod.metadata.name}`);

/**
 * The diagnosis's cluster ports on top of a ClusterAccess. The objects read are validated by
 * ./schemas.ts; the annotations below are where the compiler checks that what they let through
 * has the shapes the diagnosis declares.
 */
export function clusterPorts(access: ClusterAccess): ClusterPorts {
  const local: LocalClusterReader = {
    listClusters: (signal) => access.listClusters(signal),
    listNodeObjects: (namespace, signal) => access.listNodeObjects(namespace, signal),
    watchNodeObjects: (options, onEvent, signal) => access.watchNodeObjects(options, onEvent, signal),
    listRegistrationTokens: (clusterId, signal) => access.listRegistrationTokens(clusterId, signal),
    listApiserverPods: (signal) => access.listApiserverPods(signal),
    streamPodLog: async (pod, options, sink, signal) =>
      access.streamPodLog(edgePod(pod), options, sink, signal),
    getRancherVersion: (signal) => access.getRancherVersion(signal),
    listProvisioningClusters: (signal) => access.listProvisioningClusters(signal),
    listCapiMachines: (namespace, signal) => access.listCapiMachines(namespace, signal),
  };
  return {
    local,
    downstream(clusterId): DownstreamReader {
      const d = access.downstream(clusterId);
      return {
        via: d.via,
        kubectl: d.kubectl,
        listNodes: (signal) => d.listNodes(signal),
        listPodsOnNode: (nodeName, signal) => d.listPodsOnNode(nodeName, signal),
        listPodDisruptionBudgets: (signal) => d.listPodDisruptionBudgets(signal),
        listNodeAgentPods: (signal) => d.listNodeAgentPods(signal),
        streamPodLog: async (pod, options, sink, signal) =>
          d.streamPodLog(edgePod(pod), options, sink, signal),
      };
    },
    explainFailure: explainReadFailure,
  };
}
