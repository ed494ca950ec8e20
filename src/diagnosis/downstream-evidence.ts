import type { ClusterAccess, DownstreamAccess } from '../rancher/access.js';
import type { KubeNode, Pod, PodDisruptionBudget, RegistrationToken } from '../rancher/schemas.js';
import { createAgentLogParser } from './agent.js';
import { problemFrom } from './problems.js';
import type { AccessProblem, AgentEvidence } from './types.js';

/**
 * Reads what the node analysis and the drain plan need from one downstream cluster. Nothing here
 * is required: each failed read becomes a problem entry and a null, and the diagnosis goes on.
 */

export interface DownstreamFacts {
  clusterId: string;
  access: DownstreamAccess | null;
  nodes: KubeNode[] | null;
  agentPods: Pod[] | null;
  pdbs: PodDisruptionBudget[] | null;
  registrationTokens: RegistrationToken[] | null;
}

export const AGENT_LOG_LIMIT_BYTES = 8 * 1024 * 1024;
export const AGENT_LOG_DEFAULT_SINCE_SECONDS = 1800;

async function attempt<T>(
  problems: AccessProblem[],
  target: string,
  read: () => Promise<T>,
): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    problems.push(problemFrom(target, error));
    return null;
  }
}

export async function readDownstreamFacts(
  access: ClusterAccess,
  clusterId: string,
  problems: AccessProblem[],
  signal?: AbortSignal,
): Promise<DownstreamFacts> {
  const registrationTokens = await attempt(
    problems,
    `clusterregistrationtokens.management.cattle.io in ${clusterId}`,
    () => access.listRegistrationTokens(clusterId, signal),
  );
  let downstream: DownstreamAccess;
  try {
    downstream = access.downstream(clusterId);
  } catch (error) {
    problems.push(problemFrom(`downstream cluster ${clusterId}`, error));
    return { clusterId, access: null, nodes: null, agentPods: null, pdbs: null, registrationTokens };
  }
  const d = downstream;
  const nodes = await attempt(
    problems,
    `Kubernetes nodes of downstream cluster ${clusterId} (via ${d.via})`,
    () => d.listNodes(signal),
  );
  if (nodes === null) {
    // When the node list fails the cluster is most likely unreachable: do not pile up more of the same problem.
    return { clusterId, access: d, nodes, agentPods: null, pdbs: null, registrationTokens };
  }
  const agentPods = await attempt(problems, `cattle-node-agent pods in cattle-system of ${clusterId}`, () =>
    d.listNodeAgentPods(signal),
  );
  const pdbs = await attempt(problems, `PodDisruptionBudgets of ${clusterId}`, () =>
    d.listPodDisruptionBudgets(signal),
  );
  return { clusterId, access: d, nodes, agentPods, pdbs, registrationTokens };
}

export function findAgentPod(agentPods: Pod[], nodeName: string | null, ip: string | null): Pod | null {
  return (
    agentPods.find((p) => nodeName !== null && p.spec.nodeName === nodeName) ??
    agentPods.find((p) => ip !== null && p.status.hostIP === ip) ??
    null
  );
}

export async function readAgentEvidence(
  facts: DownstreamFacts,
  pod: Pod,
  sinceSeconds: number | undefined,
  problems: AccessProblem[],
  signal?: AbortSignal,
): Promise<AgentEvidence | null> {
  if (!facts.access) return null;
  const parser = createAgentLogParser();
  const d = facts.access;
  const ok = await attempt(
    problems,
    `log of ${pod.metadata.namespace}/${pod.metadata.name} in ${facts.clusterId}`,
    () =>
      d
        .streamPodLog(
          pod,
          {
            sinceSeconds: sinceSeconds ?? AGENT_LOG_DEFAULT_SINCE_SECONDS,
            limitBytes: AGENT_LOG_LIMIT_BYTES,
          },
          (chunk) => parser.push(chunk),
          signal,
        )
        .then(() => true),
  );
  if (ok === null) return null;
  parser.end();
  return parser.result({ namespace: pod.metadata.namespace ?? 'cattle-system', name: pod.metadata.name });
}

export async function readPodsOnNode(
  facts: DownstreamFacts,
  nodeName: string,
  problems: AccessProblem[],
  signal?: AbortSignal,
): Promise<Pod[] | null> {
  if (!facts.access) return null;
  const d = facts.access;
  return attempt(problems, `pods on node ${nodeName} of ${facts.clusterId}`, () =>
    d.listPodsOnNode(nodeName, signal),
  );
}
