import { DiagnosisAbortedError } from '../errors.js';
import { plural } from '../text/plural.js';
import { ANALYZERS, type Analyzer } from '../diagnosis/analyzers/index.js';
import { SCOPE_COLLECTORS, SUSPECT_COLLECTORS } from '../diagnosis/collectors/index.js';
import type { ScopeCollector, SuspectCollector } from '../diagnosis/collectors/index.js';
import { watchedSeconds } from '../diagnosis/collectors/churn-watch.js';
import { DEFAULT_WATCH_SECONDS } from '../diagnosis/defaults.js';
import type { EarlyEndRule } from '../diagnosis/loop-rule.js';
import { clusterFacts, isOrphanedMachineNode, isProvisionedNode } from '../diagnosis/nodes.js';
import type { DiagnosisPorts, LocalClusterReader } from '../diagnosis/ports.js';
import { clusterSummary, resolveCluster } from '../diagnosis/scope.js';
import { collectFacts } from '../diagnosis/suspects.js';
import type { ClusterSummary, DiagnosisReport, Finding, ProgressReporter } from '../diagnosis/types.js';
import { collectScope, collectSuspect, type CollectRun } from './collect.js';
import { attachPlans } from './plans.js';

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
  /** When the churn watch may end before its window (default EARLY_END_RULE); null: never. */
  earlyEnd?: EarlyEndRule | null;
  signal?: AbortSignal;
}

/** The collectors and analyzers one diagnosis runs; the defaults are every one there is. */
export interface DiagnosisParts {
  scopeCollectors: readonly ScopeCollector[];
  suspectCollectors: readonly SuspectCollector[];
  analyzers: readonly Analyzer[];
}

export const ALL_PARTS: DiagnosisParts = {
  scopeCollectors: SCOPE_COLLECTORS,
  suspectCollectors: SUSPECT_COLLECTORS,
  analyzers: ANALYZERS,
};

export async function listClusters(
  local: Pick<LocalClusterReader, 'listClusters'>,
  signal?: AbortSignal,
): Promise<ClusterSummary[]> {
  const clusters = await local.listClusters(signal);
  return clusters.map((c) => clusterSummary(clusterFacts(c))).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The whole diagnosis: evidence of writes (logs, churn), the node objects, the downstream
 * clusters and node agents, then findings with both plans. Reads that are required (clusters,
 * node objects) throw; the rest become problems in the report.
 */
export async function runDiagnosis(
  ports: DiagnosisPorts,
  options: DiagnoseOptions,
  onProgress?: ProgressReporter,
  parts: DiagnosisParts = ALL_PARTS,
): Promise<DiagnosisReport> {
  const startedAt = new Date().toISOString();
  const progress: ProgressReporter = onProgress ?? (() => {});
  const signal = options.signal;
  const watchSeconds = options.watchSeconds ?? DEFAULT_WATCH_SECONDS;

  progress({ stage: 'reading-node-objects', detail: 'reading clusters.management.cattle.io' });
  const clusters = (await ports.local.listClusters(signal)).map(clusterFacts);
  const clusterById = new Map(clusters.map((c) => [c.id, c]));
  const scope = options.cluster ? resolveCluster(options.cluster, clusters) : null;
  const inScope = (clusterId: string | null) => scope === null || clusterId === scope.id;

  const run: CollectRun = {
    ports,
    options: {
      sinceSeconds: options.sinceSeconds,
      watchSeconds,
      logFiles: options.logFiles,
      apiserverLogLimitBytes: options.apiserverLogLimitBytes,
      churnProgressEveryMs: options.churnProgressEveryMs,
      ...(options.earlyEnd !== undefined ? { earlyEnd: options.earlyEnd } : {}),
    },
    signal,
    progress,
    problems: [],
    made: new Map(),
  };
  const { activity, nodes, rancherVersion } = await collectScope(
    run,
    { clusterId: scope?.id ?? null },
    parts.scopeCollectors,
  );
  // An aborted watch returns what it saw so far: a caller that gave up on the diagnosis (a worker
  // handing its job back) must not get a report built on a window it did not ask for.
  if (signal?.aborted) throw new DiagnosisAbortedError();

  const churn = activity.find((a) => a.source === 'churn');
  const { windowStart, windowEnd } = churn?.summary ?? {};
  const watched =
    windowStart && windowEnd
      ? watchedSeconds(new Date(windowStart), new Date(windowEnd), watchSeconds)
      : null;

  const facts = collectFacts(activity, nodes, clusterById, inScope, rancherVersion);
  for (const suspect of facts.suspects) {
    const cluster = clusterById.get(suspect.clusterId) ?? null;
    if (!suspect.node) continue;
    // A provisioned host's node is asked about only when hot: without rkeNode it is normal.
    const orphan = isOrphanedMachineNode(suspect.node, cluster);
    if (!orphan && !(suspect.heat && isProvisionedNode(suspect.node, cluster))) continue;
    suspect.evidence = await collectSuspect(
      run,
      { clusterId: suspect.clusterId, nodeId: suspect.nodeId, node: suspect.node, cluster },
      parts.suspectCollectors,
    );
  }

  const findings = parts.analyzers.flatMap((a) => a.analyze(facts)).map(attachPlans);
  findings.sort(
    (a, b) =>
      confidenceRank(b.confidence) - confidenceRank(a.confidence) ||
      (b.writeRate?.writesPerMinute ?? 0) - (a.writeRate?.writesPerMinute ?? 0) ||
      a.id.localeCompare(b.id),
  );
  progress({
    stage: 'done',
    detail: `${plural(findings.length, 'finding')}, ${plural(run.problems.length, 'problem')}`,
  });
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    scope: {
      clusterId: scope?.id ?? null,
      sinceSeconds: options.sinceSeconds ?? null,
      watchSeconds,
      watchedSeconds: watched,
      ...(churn?.watchEnd ? { watchEnd: churn.watchEnd } : {}),
    },
    clusters: clusters
      .filter((c) => inScope(c.id))
      .map(clusterSummary)
      .sort((a, b) => a.id.localeCompare(b.id)),
    activity,
    findings,
    problems: run.problems,
    rancherVersion,
  };
}

function confidenceRank(c: Finding['confidence']): number {
  return c === 'high' ? 3 : c === 'medium' ? 2 : 1;
}
