import { selectCause } from './cause.js';
import { nodeObjectKey } from './churn.js';
import type { NodeAnalysis } from './nodes.js';
import type {
  AgentEvidence,
  DrainPlan,
  EvidenceLine,
  EvidenceSource,
  Finding,
  HotObject,
  PatchPlan,
  Signal,
  WriteActivityEvidence,
} from './types.js';

/** Assembles findings from the evidence, the node analysis and the plans. Pure. */

/** Below this a "hot" object is ordinary traffic: a healthy node object changes a few times a minute at most. */
export const HOT_WRITES_PER_MINUTE_FLOOR = 20;

export interface Heat {
  hot: HotObject;
  source: EvidenceSource;
  signal: Signal;
}

/** The hottest sighting of every object across all evidence, keyed by object path. */
export function collectHeat(activity: WriteActivityEvidence[]): Map<string, Heat> {
  const byKey = new Map<string, Heat>();
  for (const evidence of activity) {
    for (const hot of evidence.summary.hot) {
      if (hot.writesPerMinute < HOT_WRITES_PER_MINUTE_FLOOR) continue;
      const key = heatKey(hot);
      const seen = byKey.get(key);
      if (!seen || hot.writesPerMinute > seen.hot.writesPerMinute) {
        byKey.set(key, { hot, source: evidence.source, signal: evidence.summary.signal ?? 'churn' });
      }
    }
  }
  return byKey;
}

/** Node objects are keyed by cluster and node, so that writes to /status count for the node. */
export function heatKey(hot: HotObject): string {
  const node = rancherNodeOf(hot);
  return node ? nodeObjectKey(node.clusterId, node.nodeId) : hot.key;
}

export function rancherNodeOf(hot: HotObject): { clusterId: string; nodeId: string } | null {
  if (hot.rancherNode) return hot.rancherNode;
  const r = hot.ref;
  if (r.group === 'management.cattle.io' && r.resource === 'nodes' && r.namespace) {
    return { clusterId: r.namespace, nodeId: r.name };
  }
  return null;
}

export interface NodeFindingInput {
  analysis: NodeAnalysis;
  heat: Heat | null;
  agent: AgentEvidence | null;
  patchPlan: PatchPlan | null;
  drainPlan: DrainPlan | null;
  /** Extra lines: what could not be read about this node. */
  notes: string[];
}

function writeRate(heat: Heat): NonNullable<Finding['writeRate']> {
  return {
    writes: heat.hot.writes,
    writesPerMinute: heat.hot.writesPerMinute,
    source: heat.source,
    signal: heat.signal,
  };
}

function heatLine(heat: Heat): EvidenceLine {
  return {
    kind: heat.source === 'churn' ? 'churn' : 'apiserver-log',
    text: `${heat.hot.writes} writes (${heat.hot.writesPerMinute}/min) to ${heat.hot.key}, from ${heat.source} (${heat.signal})`,
  };
}

export function nodeFinding(input: NodeFindingInput): Finding {
  const { analysis, heat, agent } = input;
  const verdict = selectCause({ analysis, writesPerMinute: heat?.hot.writesPerMinute ?? null, agent });
  const orphan = analysis.isOrphanedMachineNode;
  const evidence: EvidenceLine[] = [];
  if (heat) evidence.push(heatLine(heat));
  evidence.push({
    kind: 'node-object',
    text: `${analysis.clusterId}/${analysis.nodeId}: ${analysis.lacksRkeNode ? 'no status.rkeNode' : 'has status.rkeNode'}, ${analysis.lacksCustomConfig ? 'no spec.customConfig' : 'has spec.customConfig'}; roles ${analysis.roles.join(', ') || 'none'}; addresses ${analysis.addresses.map((a) => `${a.type}=${a.address}`).join(' ') || 'none'}`,
  });
  for (const m of analysis.sameHost) {
    evidence.push({
      kind: 'node-object',
      text: `${m.nodeId} describes the same host (${m.matchedBy.join(', ')})${m.hasRkeNode ? '' : ', without status.rkeNode'}`,
    });
  }
  if (analysis.sibling) {
    evidence.push({
      kind: 'sibling',
      text: `healthy sibling ${analysis.sibling.metadata.name} (has status.rkeNode) used for comparison`,
    });
  }
  if (analysis.downstreamNodePresent !== null) {
    evidence.push({
      kind: 'downstream-node',
      text: analysis.downstreamNodePresent
        ? `Kubernetes node ${analysis.downstreamNodeName} is present in downstream cluster ${analysis.clusterId}`
        : `no Kubernetes node for it in downstream cluster ${analysis.clusterId}`,
    });
  }
  if (agent) {
    evidence.push({
      kind: 'agent-log',
      text: `${agent.namespace}/${agent.podName}: ${agent.waitingLines} "Waiting for node to register" lines${agent.lastWaitingAt ? `, last at ${agent.lastWaitingAt}` : ''}; ${agent.errorLines} "Error while getting agent config" lines`,
    });
    for (const line of agent.sample) evidence.push({ kind: 'agent-log', text: line });
  }
  for (const note of input.notes) evidence.push({ kind: 'note', text: note });

  const missing = [
    analysis.lacksRkeNode && 'status.rkeNode',
    analysis.lacksCustomConfig && 'spec.customConfig',
  ].filter((v): v is string => typeof v === 'string');
  return {
    id: `${analysis.clusterId}/${analysis.nodeId}`,
    kind: orphan ? 'orphaned-machine-node' : 'loop-unknown-cause',
    objectKey: nodeObjectKey(analysis.clusterId, analysis.nodeId),
    clusterId: analysis.clusterId,
    clusterName: analysis.cluster?.displayName ?? null,
    nodeId: analysis.nodeId,
    hostname: analysis.hostname,
    ip: analysis.ip,
    writeRate: heat ? writeRate(heat) : null,
    cause: { code: verdict.code, summary: verdict.summary, details: verdict.details },
    confidence: verdict.confidence,
    missing: orphan ? missing : [],
    sibling: analysis.sibling
      ? {
          nodeId: analysis.sibling.metadata.name,
          hostname: analysis.sibling.status.nodeName ?? analysis.sibling.spec.requestedHostname ?? null,
        }
      : null,
    agent,
    evidence,
    patchPlan: orphan ? input.patchPlan : null,
    drainPlan: orphan ? input.drainPlan : null,
  };
}

/** A hot object that is not a node object (or whose node object is gone): rewritten, cause unknown. */
export function unknownObjectFinding(heat: Heat, note: string | null): Finding {
  const verdict = selectCause({ analysis: null, writesPerMinute: heat.hot.writesPerMinute, agent: null });
  const node = rancherNodeOf(heat.hot);
  const evidence: EvidenceLine[] = [heatLine(heat)];
  if (note) evidence.push({ kind: 'note', text: note });
  return {
    id: heat.hot.key,
    kind: 'loop-unknown-cause',
    objectKey: heat.hot.key,
    clusterId: node?.clusterId ?? null,
    clusterName: null,
    nodeId: node?.nodeId ?? null,
    hostname: null,
    ip: null,
    writeRate: writeRate(heat),
    cause: {
      code: verdict.code,
      summary: verdict.summary,
      details: note ? [...verdict.details, note] : verdict.details,
    },
    confidence: verdict.confidence,
    missing: [],
    sibling: null,
    agent: null,
    evidence,
    patchPlan: null,
    drainPlan: null,
  };
}
