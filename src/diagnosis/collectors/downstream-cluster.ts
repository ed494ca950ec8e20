import type { DownstreamReader } from '../ports.js';
import type { CollectContext, DownstreamFacts, SuspectCollector, SuspectSubject } from './collector.js';
import { attempt } from './optional-read.js';

/**
 * What the node analysis and the drain plan need from the suspect's downstream cluster: its
 * Kubernetes nodes, node-agent pods, PodDisruptionBudgets, and its registration tokens from the
 * local cluster. Read once per cluster however many of its nodes are suspects. Nothing here is
 * required: each failed read becomes a problem entry and a null, and the diagnosis goes on.
 */
export const downstreamCluster: SuspectCollector = {
  name: 'downstream cluster',
  async collect(context) {
    const { clusterId, nodeId } = context.subject.suspect;
    context.progress({
      stage: 'asking-node-agents',
      detail: `reading downstream cluster ${clusterId} for ${nodeId}`,
    });
    return { downstream: await context.once(`downstream ${clusterId}`, () => readDownstream(context)) };
  },
};

async function readDownstream(context: CollectContext<SuspectSubject>): Promise<DownstreamFacts> {
  const { ports, signal } = context;
  const clusterId = context.subject.suspect.clusterId;
  const registrationTokens = await attempt(
    context,
    `clusterregistrationtokens.management.cattle.io in ${clusterId}`,
    () => ports.local.listRegistrationTokens(clusterId, signal),
  );
  let reader: DownstreamReader;
  try {
    reader = ports.downstream(clusterId);
  } catch (error) {
    context.problem(`downstream cluster ${clusterId}`, error);
    return { clusterId, reader: null, nodes: null, agentPods: null, pdbs: null, registrationTokens };
  }
  const d = reader;
  const nodes = await attempt(
    context,
    `Kubernetes nodes of downstream cluster ${clusterId} (via ${d.via})`,
    () => d.listNodes(signal),
  );
  if (nodes === null) {
    // When the node list fails the cluster is most likely unreachable: do not pile up more of the same problem.
    return { clusterId, reader: d, nodes, agentPods: null, pdbs: null, registrationTokens };
  }
  const agentPods = await attempt(context, `cattle-node-agent pods in cattle-system of ${clusterId}`, () =>
    d.listNodeAgentPods(signal),
  );
  const pdbs = await attempt(context, `PodDisruptionBudgets of ${clusterId}`, () =>
    d.listPodDisruptionBudgets(signal),
  );
  return { clusterId, reader: d, nodes, agentPods, pdbs, registrationTokens };
}
