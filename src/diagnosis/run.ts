import { DiagnosisAbortedError, UnknownClusterError } from '../errors.js';
import { nameKey } from '../text/name-key.js';
import { DEFAULT_WATCH_SECONDS } from './defaults.js';
import type { ClusterAccess } from '../rancher/access.js';
import type { ManagementNode } from '../rancher/schemas.js';
import { buildDrainPlan } from '../remediation/drain-plan.js';
import { buildPatchPlan } from '../remediation/patch-plan.js';
import { watchChurn, watchedSeconds } from './churn-evidence.js';
import {
  findAgentPod,
  readAgentEvidence,
  readDownstreamFacts,
  readPodsOnNode,
  type DownstreamFacts,
} from './downstream-evidence.js';
import { collectHeat, nodeFinding, rancherNodeOf, unknownObjectFinding, type Heat } from './findings.js';
import { DEFAULT_SINCE_SECONDS, gatherLogEvidence } from './log-evidence.js';
import { analyzeNode, clusterFacts, orphanSuspects, type ClusterFacts } from './nodes.js';
import { problemFrom } from './problems.js';
import { apiserverLogScannerFactory, scanLogFiles } from './scanner.js';
import type {
  AccessProblem,
  ClusterSummary,
  DiagnosisReport,
  Finding,
  ProgressReporter,
  WriteActivityEvidence,
} from './types.js';
import { plural } from '../text/plural.js';

export type { ClusterAccess } from '../rancher/access.js';
export { createClusterAccess } from '../rancher/access.js';
export { loadRancherConfig } from '../config/rancher.js';

export interface DiagnoseOptions {
  /** Cluster id (c-xxxxx) or display name; all clusters when absent. */
  cluster?: string;
  /** How far back to read logs (apiserver pods, node agents). */
  sinceSeconds?: number;
  /** Churn watch window; 0 turns it off. Default 60. */
  watchSeconds?: number;
  /** Read these apiserver log (or audit log) files instead of the apiserver pods' logs. */
  logFiles?: string[];
  /** Bytes read at most from each kube-apiserver pod's log (default APISERVER_LOG_LIMIT_BYTES). */
  apiserverLogLimitBytes?: number;
  /** How often the churn watch reports its progress (default: every few seconds, by window). */
  churnProgressEveryMs?: number;
  signal?: AbortSignal;
}

export { DEFAULT_WATCH_SECONDS };

function summarize(facts: ClusterFacts): ClusterSummary {
  return { id: facts.id, name: facts.displayName, driver: facts.driver };
}

export async function listClusters(access: ClusterAccess, signal?: AbortSignal): Promise<ClusterSummary[]> {
  const clusters = await access.listClusters(signal);
  return clusters.map((c) => summarize(clusterFacts(c))).sort((a, b) => a.id.localeCompare(b.id));
}

/** Finds a cluster by id, else by display name (case-insensitive when unambiguous). */
export function resolveCluster(requested: string, clusters: ClusterFacts[]): ClusterFacts {
  const byId = clusters.find((c) => c.id === requested);
  if (byId) return byId;
  const byName = clusters.filter((c) => c.displayName === requested);
  if (byName.length === 1) return byName[0]!;
  const folded = clusters.filter((c) => nameKey(c.displayName) === nameKey(requested));
  if (folded.length === 1) return folded[0]!;
  throw new UnknownClusterError(
    requested,
    clusters.map((c) => ({ id: c.id, name: c.displayName })),
  );
}

interface Suspect {
  clusterId: string;
  nodeId: string;
  node: ManagementNode | null;
  heat: Heat | null;
}

/**
 * The whole diagnosis: evidence of writes (logs, churn), the node objects, the downstream
 * clusters and node agents, then findings with both plans. Reads that are required (clusters,
 * node objects) throw AccessError / TransientError; the rest become problems in the report.
 */
export async function runDiagnosis(
  access: ClusterAccess,
  options: DiagnoseOptions,
  onProgress?: ProgressReporter,
): Promise<DiagnosisReport> {
  const startedAt = new Date().toISOString();
  const progress: ProgressReporter = onProgress ?? (() => {});
  const signal = options.signal;
  const problems: AccessProblem[] = [];
  const watchSeconds = options.watchSeconds ?? DEFAULT_WATCH_SECONDS;

  progress({ stage: 'reading-node-objects', detail: 'reading clusters.management.cattle.io' });
  const clusters = (await access.listClusters(signal)).map(clusterFacts);
  const clusterById = new Map(clusters.map((c) => [c.id, c]));
  const scope = options.cluster ? resolveCluster(options.cluster, clusters) : null;
  const inScope = (clusterId: string | null) => scope === null || clusterId === scope.id;

  // The churn window runs while the logs and node objects are read; it is stopped if they fail.
  const stopChurn = new AbortController();
  const churnSignal = signal ? AbortSignal.any([signal, stopChurn.signal]) : stopChurn.signal;
  const churn =
    watchSeconds > 0
      ? watchChurn(
          access,
          scope?.id ?? null,
          watchSeconds,
          progress,
          churnSignal,
          options.churnProgressEveryMs,
        )
      : Promise.resolve(null);
  churn.catch(() => undefined);

  let nodes: ManagementNode[];
  const activity: WriteActivityEvidence[] = [];
  try {
    activity.push(
      ...(await gatherLogEvidence(
        access,
        options,
        problems,
        progress,
        apiserverLogScannerFactory(options.sinceSeconds ?? DEFAULT_SINCE_SECONDS),
        scanLogFiles,
      )),
    );

    progress({
      stage: 'reading-node-objects',
      detail: `listing nodes.management.cattle.io${scope ? ` in ${scope.id}` : ''}`,
    });
    nodes = await access.listNodeObjects(scope?.id ?? null, signal);
    progress({ stage: 'reading-node-objects', detail: `${plural(nodes.length, 'node object')} read` });
  } catch (error) {
    stopChurn.abort();
    throw error;
  }

  let watched: number | null = null;
  try {
    const churnEvidence = await churn;
    if (churnEvidence) {
      activity.push(churnEvidence);
      const { windowStart, windowEnd } = churnEvidence.summary;
      if (windowStart && windowEnd)
        watched = watchedSeconds(new Date(windowStart), new Date(windowEnd), watchSeconds);
    }
  } catch (error) {
    problems.push(problemFrom('watch on nodes.management.cattle.io', error));
  }
  // An aborted watch returns what it saw so far: a caller that gave up on the diagnosis (a worker
  // handing its job back) must not get a report built on a window it did not ask for.
  if (signal?.aborted) throw new DiagnosisAbortedError();

  const nodesByCluster = new Map<string, ManagementNode[]>();
  for (const n of nodes) {
    const ns = n.metadata.namespace ?? '';
    const list = nodesByCluster.get(ns) ?? [];
    list.push(n);
    nodesByCluster.set(ns, list);
  }
  const nodeByKey = new Map(nodes.map((n) => [`${n.metadata.namespace}/${n.metadata.name}`, n]));

  const heat = collectHeat(activity);
  const findings: Finding[] = [];
  const suspects = new Map<string, Suspect>();
  for (const h of heat.values()) {
    const rn = rancherNodeOf(h.hot);
    if (!rn) {
      if (inScope(h.hot.ref.namespace)) findings.push(unknownObjectFinding(h, null));
      continue;
    }
    if (!inScope(rn.clusterId)) continue;
    const node = nodeByKey.get(`${rn.clusterId}/${rn.nodeId}`) ?? null;
    suspects.set(`${rn.clusterId}/${rn.nodeId}`, { ...rn, node, heat: h });
  }
  for (const n of orphanSuspects(nodes, clusterById)) {
    const key = `${n.metadata.namespace}/${n.metadata.name}`;
    if (!suspects.has(key))
      suspects.set(key, {
        clusterId: n.metadata.namespace ?? '',
        nodeId: n.metadata.name,
        node: n,
        heat: null,
      });
  }

  const downstreamFacts = new Map<string, DownstreamFacts>();
  for (const suspect of [...suspects.values()].sort(
    (a, b) => a.clusterId.localeCompare(b.clusterId) || a.nodeId.localeCompare(b.nodeId),
  )) {
    if (!suspect.node) {
      findings.push(
        unknownObjectFinding(
          suspect.heat!,
          `node object ${suspect.clusterId}/${suspect.nodeId} no longer exists`,
        ),
      );
      continue;
    }
    const cluster = clusterById.get(suspect.clusterId) ?? null;
    const siblings = nodesByCluster.get(suspect.clusterId) ?? [];
    const firstLook = analyzeNode(suspect.node, siblings, cluster, null);
    if (!firstLook.isOrphanedMachineNode) {
      // Hot, but not the known failure: report without asking the downstream cluster.
      findings.push(
        nodeFinding({
          analysis: firstLook,
          heat: suspect.heat,
          agent: null,
          patchPlan: null,
          drainPlan: null,
          notes: [],
        }),
      );
      continue;
    }
    progress({
      stage: 'asking-node-agents',
      detail: `reading downstream cluster ${suspect.clusterId} for ${suspect.nodeId}`,
    });
    let facts = downstreamFacts.get(suspect.clusterId);
    if (!facts) {
      facts = await readDownstreamFacts(access, suspect.clusterId, problems, signal);
      downstreamFacts.set(suspect.clusterId, facts);
    }
    const analysis = analyzeNode(suspect.node, siblings, cluster, facts.nodes);
    const notes: string[] = [];
    if (facts.nodes === null)
      notes.push(`downstream cluster ${suspect.clusterId} could not be reached: see problems`);
    let agent = null;
    if (facts.agentPods) {
      const pod = findAgentPod(facts.agentPods, analysis.downstreamNodeName, analysis.ip);
      if (pod) agent = await readAgentEvidence(facts, pod, options.sinceSeconds, problems, signal);
      else
        notes.push(
          `no cattle-node-agent pod found for node ${analysis.downstreamNodeName ?? analysis.ip ?? '?'}`,
        );
    }
    const podsOnNode =
      analysis.downstreamNodePresent && analysis.downstreamNodeName
        ? await readPodsOnNode(facts, analysis.downstreamNodeName, problems, signal)
        : null;
    const patchPlan = buildPatchPlan(suspect.node, analysis.sibling);
    const drainPlan = buildDrainPlan({
      clusterId: suspect.clusterId,
      nodeId: suspect.nodeId,
      downstreamNodeName: analysis.downstreamNodePresent === false ? null : analysis.downstreamNodeName,
      podsOnNode,
      pdbs: facts.pdbs,
      registrationTokens: facts.registrationTokens,
      roles: analysis.roles,
      downstreamKubectl: facts.access?.kubectl ?? null,
      notes:
        facts.nodes === null
          ? [
              `downstream cluster ${suspect.clusterId} could not be reached: the node, its pods and PDBs are not known`,
            ]
          : [],
    });
    findings.push(nodeFinding({ analysis, heat: suspect.heat, agent, patchPlan, drainPlan, notes }));
  }

  findings.sort(
    (a, b) =>
      confidenceRank(b.confidence) - confidenceRank(a.confidence) ||
      (b.writeRate?.writesPerMinute ?? 0) - (a.writeRate?.writesPerMinute ?? 0) ||
      a.id.localeCompare(b.id),
  );
  progress({
    stage: 'done',
    detail: `${plural(findings.length, 'finding')}, ${plural(problems.length, 'problem')}`,
  });
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    scope: {
      clusterId: scope?.id ?? null,
      sinceSeconds: options.sinceSeconds ?? null,
      watchSeconds,
      watchedSeconds: watched,
    },
    clusters: clusters
      .filter((c) => inScope(c.id))
      .map(summarize)
      .sort((a, b) => a.id.localeCompare(b.id)),
    activity,
    findings,
    problems,
  };
}

function confidenceRank(c: Finding['confidence']): number {
  return c === 'high' ? 3 : c === 'medium' ? 2 : 1;
}
