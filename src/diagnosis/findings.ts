import { selectCause } from './cause.js';
import type { MachineFacts } from './collectors/collector.js';
import { nodeObjectKey } from './churn.js';
import { CHURN_LOOP_RULE } from './loop-rule.js';
import type { NodeAnalysis } from './nodes.js';
import type {
  AgentEvidence,
  DrainPlan,
  EvidenceLine,
  EvidenceSource,
  Finding,
  FixAdvice,
  HotObject,
  PatchPlan,
  Signal,
  WriteActivityEvidence,
  WriteRate,
  WriteSighting,
} from './types.js';
import { humanSpan } from '../text/duration.js';
import { plural } from '../text/plural.js';

/** Assembles findings from the evidence, the node analysis and the plans. Pure. */

/**
 * Below this a "hot" object is ordinary traffic, whichever source called it hot: the slowest rate
 * the loop rule calls a loop for node objects.
 */
const HOT_WRITES_PER_MINUTE_FLOOR = CHURN_LOOP_RULE.minWritesPerMinute;

/** Every source's sighting of one object; `hot`, `source` and `signal` are the best-founded of them. */
export interface Heat {
  hot: HotObject;
  source: EvidenceSource;
  signal: Signal;
  /** One per source that saw the object hot (logs, audit, churn), best founded (betterFounded) first. */
  sightings: WriteSighting[];
}

/**
 * Which of two sightings is better founded: a measurement before a lower bound (too few writes to
 * measure, however long the window), then the one observed longer (a rate over ten minutes of log
 * beats one over ten seconds of watch), then the one that counted more writes.
 */
export function betterFounded(a: WriteSighting, b: WriteSighting): number {
  return (
    Number(a.lowerBound ?? false) - Number(b.lowerBound ?? false) ||
    (b.observedSeconds ?? 0) - (a.observedSeconds ?? 0) ||
    b.writes - a.writes
  );
}

/**
 * Every object hot in any evidence, keyed by object path, with each source's sighting of it. Within
 * one evidence, writes to a node object and to its /status add up (both rewrite the node object).
 */
export function collectHeat(activity: WriteActivityEvidence[]): Map<string, Heat> {
  const byKey = new Map<
    string,
    { hot: HotObject; source: EvidenceSource; signal: Signal; sightings: WriteSighting[] }
  >();
  for (const evidence of activity) {
    const signal = evidence.summary.signal ?? 'churn';
    const inThis = new Map<string, { hot: HotObject; sighting: WriteSighting }>();
    for (const hot of evidence.summary.hot) {
      const key = heatKey(hot);
      const seen = inThis.get(key);
      if (!seen) {
        inThis.set(key, {
          hot,
          sighting: {
            writes: hot.writes,
            writesPerMinute: hot.writesPerMinute,
            source: evidence.source,
            signal,
            description: evidence.description,
            firstSeen: hot.firstSeen,
            lastSeen: hot.lastSeen,
            ...(hot.observedSeconds !== undefined ? { observedSeconds: hot.observedSeconds } : {}),
            ...(hot.lowerBound ? { lowerBound: true as const } : {}),
            ...(hot.fieldChanges ? { fieldChanges: hot.fieldChanges } : {}),
          },
        });
        continue;
      }
      const s = seen.sighting;
      s.writes += hot.writes;
      s.firstSeen = earliest(s.firstSeen, hot.firstSeen);
      s.lastSeen = latest(s.lastSeen, hot.lastSeen);
      if (!s.lowerBound && !hot.lowerBound) {
        // Both measured over the same span: the rate of the sum; over different spans, the writes
        // over the longer.
        const seconds = Math.max(s.observedSeconds ?? 0, hot.observedSeconds ?? 0);
        s.writesPerMinute =
          seconds > 0
            ? Math.round(((s.writes * 60) / seconds) * 100) / 100
            : Math.round((s.writesPerMinute + hot.writesPerMinute) * 100) / 100;
        if (seconds > 0) s.observedSeconds = seconds;
      } else {
        // A lower bound's span is the window read, not what its rate is over: the rates add up, over
        // the measured part's span if there is one; a bound only while both parts are.
        s.writesPerMinute = Math.round((s.writesPerMinute + hot.writesPerMinute) * 100) / 100;
        const span = s.lowerBound ? hot.observedSeconds : s.observedSeconds;
        if (span !== undefined) s.observedSeconds = span;
        if (!hot.lowerBound) delete s.lowerBound;
      }
      if (!s.fieldChanges && hot.fieldChanges) s.fieldChanges = hot.fieldChanges;
      // The object itself (no subresource) names the finding when both were hot.
      if (seen.hot.ref.subresource && !hot.ref.subresource) seen.hot = hot;
    }
    for (const [key, { hot, sighting }] of inThis) {
      if (sighting.writesPerMinute < HOT_WRITES_PER_MINUTE_FLOOR) continue;
      const entry = byKey.get(key);
      if (!entry) {
        byKey.set(key, { hot, source: evidence.source, signal, sightings: [sighting] });
        continue;
      }
      entry.sightings.push(sighting);
      if (betterFounded(sighting, entry.sightings[0]!) < 0) {
        Object.assign(entry, { hot, source: evidence.source, signal });
      }
      entry.sightings.sort(betterFounded);
    }
  }
  return byKey;
}

function earliest(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return a <= b ? a : b;
}

function latest(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return a >= b ? a : b;
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
  /** settings server-version; null or absent when not known. */
  rancherVersion?: string | null;
  /** A v2prov node's CAPI Machine: null when looked for and not found; absent when not looked for. */
  machine?: MachineFacts | null;
  /** spec.nodePoolName, for a node-pool node. */
  nodePoolName?: string | null;
}

/** The best-founded sighting (betterFounded), as the finding's headline rate. */
function writeRate(heat: Heat): WriteRate {
  const top = heat.sightings[0];
  const rate = top ?? { ...heat.hot, source: heat.source, signal: heat.signal };
  return {
    writes: rate.writes,
    writesPerMinute: rate.writesPerMinute,
    source: rate.source,
    signal: rate.signal,
    ...(rate.lowerBound ? { lowerBound: true as const } : {}),
  };
}

const SIGNAL_WORDS: Record<Signal, string> = {
  'satisfied-by': '"satisfied by" handler lines',
  httplog: 'httplog access lines',
  audit: 'audit events',
  churn: 'watch MODIFIED events',
};

/** What was counted, in words: "httplog access lines". */
export function signalWords(signal: Signal): string {
  return SIGNAL_WORDS[signal];
}

function span(s: WriteSighting): string {
  if (!s.firstSeen || !s.lastSeen) return '';
  return `, ${s.firstSeen} .. ${s.lastSeen}`;
}

/** The rate and how long it was observed: "1200/min over 15 s", "at least 20/min in 1 s, too few to measure". */
function rateWords(s: WriteSighting): string {
  const seconds = s.observedSeconds ? humanSpan(s.observedSeconds) : null;
  if (s.lowerBound)
    return `at least ${s.writesPerMinute}/min${seconds ? ` in ${seconds}` : ''}, too few to measure a rate`;
  return `${s.writesPerMinute}/min${seconds ? ` over ${seconds}` : ''}`;
}

/** One evidence line per source that saw the object written. */
function sightingLines(heat: Heat, key: string): EvidenceLine[] {
  return heat.sightings.map((s) =>
    s.source === 'churn'
      ? {
          kind: 'churn',
          text: `${plural(s.writes, 'update')} (${rateWords(s)}) of ${key} seen by the ${s.description}`,
        }
      : {
          kind: 'apiserver-log',
          text: `${plural(s.writes, 'write')} (${rateWords(s)}${span(s)}) to ${key} in the ${s.description}, counted from ${signalWords(s.signal)}`,
        },
  );
}

export function nodeFinding(input: NodeFindingInput): Finding {
  const { analysis, heat, agent } = input;
  const rate = heat ? writeRate(heat) : null;
  const verdict = selectCause({
    analysis,
    writesPerMinute: rate?.writesPerMinute ?? null,
    agent,
    rancherVersion: input.rancherVersion ?? null,
    ...(input.machine !== undefined ? { machine: input.machine } : {}),
    nodePoolName: input.nodePoolName ?? null,
  });
  const orphan = analysis.isOrphanedMachineNode;
  const objectKey = nodeObjectKey(analysis.clusterId, analysis.nodeId);
  const evidence: EvidenceLine[] = [];
  if (heat) evidence.push(...sightingLines(heat, objectKey));
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
  if (input.machine)
    evidence.push({
      kind: 'node-object',
      text: `CAPI Machine ${input.machine.namespace}/${input.machine.name} is its host (${input.machine.matchedBy})`,
    });
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
    objectKey,
    clusterId: analysis.clusterId,
    clusterName: analysis.cluster?.displayName ?? null,
    nodeId: analysis.nodeId,
    hostname: analysis.hostname,
    ip: analysis.ip,
    writeRate: rate,
    ...(heat ? { writeRates: heat.sightings.map((s) => ({ ...s })) } : {}),
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
    ...(orphan ? { fixAdvice: adviseFix(analysis, input.patchPlan, input.drainPlan) } : {}),
  };
}

/** A hot object that is not a node object (or whose node object is gone): rewritten, cause unknown. */
export function unknownObjectFinding(heat: Heat, note: string | null): Finding {
  const rate = writeRate(heat);
  const verdict = selectCause({ analysis: null, writesPerMinute: rate.writesPerMinute, agent: null });
  const node = rancherNodeOf(heat.hot);
  const evidence: EvidenceLine[] = sightingLines(heat, heat.hot.key);
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
    writeRate: rate,
    writeRates: heat.sightings.map((s) => ({ ...s })),
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

/**
 * Which fix fits: the drain fix removes the cause where the node is still downstream and can be
 * removed; the patch is for a node that cannot be removed, or when the downstream cluster could
 * not be read (it needs only the local cluster). A node already gone downstream needs neither.
 */
export function adviseFix(
  analysis: NodeAnalysis,
  patchPlan: PatchPlan | null,
  drainPlan: DrainPlan | null,
): FixAdvice {
  const cluster = analysis.clusterId;
  const incomplete = patchPlan !== null && !patchPlan.complete;
  const ineligible = patchPlan?.ineligible ?? null;
  if (analysis.downstreamNodePresent === false) {
    return {
      fix: 'none',
      reason: `its Kubernetes node is gone from ${cluster}, so Rancher should stop rewriting the object by itself: diagnose again in a few minutes before applying either fix`,
    };
  }
  if (analysis.downstreamNodePresent === true) {
    const node = analysis.downstreamNodeName ?? drainPlan?.downstreamNode ?? 'the node';
    const caveats: string[] = [];
    const pdbs = drainPlan?.blockingPodDisruptionBudgets ?? [];
    if (pdbs.length)
      caveats.push(`PDB ${pdbs.map((b) => `${b.namespace}/${b.name}`).join(', ')} may hold up the drain`);
    const critical = analysis.roles.filter((r) => r !== 'worker');
    if (critical.length)
      caveats.push(`it is an ${critical.join('/')} node: remove it only if the others can carry the cluster`);
    const patchWords = ineligible
      ? `the patch is not for this node (${ineligible})`
      : `the patch${incomplete ? ' (incomplete here)' : ''} is for a node that cannot be removed`;
    return {
      fix: 'drain',
      reason: `${node} is still in ${cluster}: removing it and registering the host again ends the loop for good; ${patchWords}${caveats.length ? `. ${caveats.join('; ')}` : ''}`,
    };
  }
  if (ineligible)
    return {
      fix: 'none',
      reason: `${cluster} could not be read, so it is not known whether the node is there to drain, and the patch is not for this node (${ineligible})`,
    };
  return {
    fix: 'patch',
    reason: `${cluster} could not be read, so it is not known whether the node is there to drain; the patch needs only Rancher's local cluster${incomplete ? ', but is incomplete: fill in the values it names first' : ''}`,
  };
}

/**
 * A hot node whose host Rancher provisions (v2prov, node pool): the cause is not known, so neither
 * fix is advised; the patch is never offered, and the removal plan says what to delete if the node
 * must go.
 */
export function adviseProvisionedNode(analysis: NodeAnalysis, drainPlan: DrainPlan | null): FixAdvice {
  const removal = drainPlan?.removal;
  const what =
    removal?.kind === 'capi-machine'
      ? removal.name
        ? `deleting its CAPI Machine ${removal.namespace}/${removal.name}`
        : 'deleting its CAPI Machine (not found here: see the plan)'
      : removal?.kind === 'node-pool-node'
        ? `deleting its node object ${removal.name ?? analysis.nodeId}, which its node pool replaces`
        : 'removing it';
  return {
    fix: 'none',
    reason: `the cause of these writes is not known, so no fix is known to fit: find which writer rewrites ${analysis.nodeId} first. The patch is never for a node whose host Rancher provisions; if the node must go, the removal plan is ${what}`,
  };
}
