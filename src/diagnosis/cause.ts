import type { MachineFacts } from './collectors/collector.js';
import { clusterKind, type NodeAnalysis } from './nodes.js';
import { agentWaitingWording, displayVersion, nodeWriters } from './rancher-version.js';
import type { AgentEvidence, CauseCode, Confidence } from './types.js';
import { plural } from '../text/plural.js';

/** Picks the cause and how sure we are, from the node analysis and what else was seen. Pure. */

export interface CauseInput {
  analysis: NodeAnalysis | null;
  /** Writes per minute seen for the object (logs or churn); null when it was not hot. */
  writesPerMinute: number | null;
  agent: AgentEvidence | null;
  /** settings server-version; null or absent when not known. */
  rancherVersion?: string | null;
  /** A v2prov node's CAPI Machine: null when looked for and not found; absent when not looked for. */
  machine?: MachineFacts | null;
  /** spec.nodePoolName of a node-pool node. */
  nodePoolName?: string | null;
}

export interface CauseVerdict {
  code: CauseCode;
  summary: string;
  details: string[];
  confidence: Confidence;
}

export function selectCause(input: CauseInput): CauseVerdict {
  const { analysis, writesPerMinute, agent } = input;
  const hot = writesPerMinute !== null;
  if (!analysis || !analysis.isOrphanedMachineNode) {
    const details: string[] = [];
    const kind = analysis?.cluster ? clusterKind(analysis.cluster) : null;
    if (!analysis) details.push('the object is not a Rancher node object, or it could not be read');
    else if (kind === 'v2prov') details.push(...provisionedDetails(analysis, input));
    else if (kind === 'rke1' && input.nodePoolName) details.push(...nodePoolDetails(analysis, input));
    else if (!analysis.isMachineNode) details.push(`${analysis.nodeId} is not a machine- node object`);
    else if (!analysis.cluster?.isRke1)
      details.push(
        `cluster ${analysis.clusterId} is not an RKE1 custom cluster (driver ${analysis.cluster?.driver ?? 'unknown'}): machine- objects are normal there`,
      );
    else if (!analysis.lacksRkeNode) details.push(`${analysis.nodeId} has status.rkeNode`);
    if (analysis && hot) details.push(...nodeWriters(input.rancherVersion));
    return {
      code: 'unknown',
      summary: 'The object is rewritten in a loop, for a reason this diagnosis does not recognise.',
      details,
      confidence: hot ? 'medium' : 'low',
    };
  }

  const details: string[] = [
    `${analysis.nodeId} is a machine- node object of RKE1 cluster ${analysis.clusterId}, created by nodessyncer`,
    `it lacks ${[analysis.lacksRkeNode && 'status.rkeNode', analysis.lacksCustomConfig && 'spec.customConfig'].filter(Boolean).join(' and ')}, so the node agent can never get its plan`,
  ];
  const waiting = (agent?.waitingLines ?? 0) > 0;
  if (waiting)
    details.push(
      `the node agent logged "Waiting for node to register" ${plural(agent?.waitingLines ?? 0, 'time')}`,
    );
  const wording = agentWaitingWording(input.rancherVersion);
  if (agent && !waiting && wording)
    details.push(
      `the node agent of Rancher ${displayVersion(input.rancherVersion!)} says "${wording}" while it waits for a plan; its log read here has no such line`,
    );

  let code: CauseCode;
  let summary: string;
  if (analysis.sameHost.length > 0) {
    code = 'machine-created-during-cleanup';
    const ids = analysis.sameHost.map((m) => m.nodeId).join(', ');
    summary = `While the host was being removed and registered again, Rancher made a second node object for it (${ids} already describes it), which it can never finish and keeps rewriting.`;
    details.push(
      `m- object(s) for the same host: ${ids} (${analysis.sameHost.map((m) => m.matchedBy.join(', ')).join('; ')})`,
    );
  } else if (analysis.downstreamNodePresent === true) {
    code = 'm-object-deleted-node-kept';
    const kept = analysis.downstreamNodeName
      ? `Kubernetes node ${analysis.downstreamNodeName}`
      : 'Kubernetes node';
    summary = `The node was deleted in Rancher while its ${kept} stayed in the cluster, so Rancher made a new node object for it that it can never finish, and keeps rewriting it.`;
    details.push(
      `no m- object describes this host, and Kubernetes node ${analysis.downstreamNodeName ?? '?'} is still in the downstream cluster`,
    );
  } else {
    code = 'orphaned-way-unknown';
    summary =
      'Rancher made a node object for this host that it can never finish (it has no status.rkeNode), and keeps rewriting it; the evidence does not tell how it came about.';
    if (analysis.downstreamNodePresent === false) {
      details.push(
        'its Kubernetes node is no longer in the downstream cluster: Rancher should stop rewriting it',
      );
    } else {
      details.push(
        'the downstream cluster could not be read, so whether its Kubernetes node still exists is not known',
      );
    }
  }

  let confidence: Confidence;
  if (analysis.downstreamNodePresent === false) confidence = 'low';
  else if (hot || waiting) confidence = 'high';
  else confidence = 'medium';
  if (!hot) details.push('no write activity was measured for it in this run');
  return { code, summary, details, confidence };
}

/** What was seen of a hot node of a v2prov cluster: no rkeNode is normal there, so the cause is not known. */
function provisionedDetails(analysis: NodeAnalysis, input: CauseInput): string[] {
  const details = [
    `cluster ${analysis.clusterId} is an RKE2/k3s cluster provisioned by Rancher (v2prov): its node objects have no status.rkeNode by design, so that is not the fault here, and the patch is never for it`,
  ];
  const m = input.machine;
  if (m)
    details.push(
      `its host is CAPI Machine ${m.namespace}/${m.name}${m.infrastructureKind ? ` (${m.infrastructureKind})` : ''}${m.phase ? `, phase ${m.phase}` : ''}, found by ${m.matchedBy}`,
    );
  else if (m === null) details.push('no CAPI Machine was found for it (machines.cluster.x-k8s.io)');
  details.push('its host runs rancher-system-agent, not cattle-node-agent');
  return details;
}

function nodePoolDetails(analysis: NodeAnalysis, input: CauseInput): string[] {
  return [
    `${analysis.nodeId} belongs to node pool ${input.nodePoolName}: Rancher made its host from a node template${analysis.lacksRkeNode ? ', and a pool node has no status.rkeNode until it is provisioned' : ''}, so this is not the known failure, and the patch is never for it`,
  ];
}
