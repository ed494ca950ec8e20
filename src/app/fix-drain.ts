import { loadRancherConfig } from '../config/rancher.js';
import type { DrainPlan, ProgressEvent } from '../diagnosis/types.js';
import { runDiagnosis } from '../engine/run.js';
import { appendAuditLine } from '../io/audit-file.js';
import { createClusterAccess, type ClusterAccess } from '../rancher/access.js';
import { drainPorts } from '../rancher/drain-ports.js';
import {
  applyDrainPlan,
  DEFAULT_DRAIN_SETTINGS,
  type DrainOutcome,
  type DrainSettings,
} from '../remediation/apply/drain.js';
import { memoryJournal } from '../remediation/apply/journal.js';
import { buildReportModel } from '../report/model.js';
import { diagnosisPorts } from './engine.js';
import type { FixPatchTarget } from './fix-patch.js';
import { whoRan } from './fix-patch.js';
import { systemClock } from './remediation-executor.js';

/**
 * `rancher-doctor fix drain`: the drain the diagnosis plans for one looping node, carried out by
 * the same executor as an approval in Slack. No Slack, no Redis.
 */
export interface PreparedDrain {
  access: ClusterAccess;
  clusterId: string;
  nodeId: string;
  plan: DrainPlan | null;
  /** Why the drain must not be carried out; null when it may. */
  refused: string | null;
}

/** Long enough for the churn watch to see a loop (it ends as soon as the evidence is plain). */
export const DRAIN_WATCH_SECONDS = 30;

export async function prepareDrain(
  target: FixPatchTarget & { watchSeconds?: number },
  env: Record<string, string | undefined>,
  onProgress?: (event: ProgressEvent) => void,
): Promise<PreparedDrain> {
  const config = loadRancherConfig(env, { kubeconfigPath: target.kubeconfig, context: target.context });
  const access = createClusterAccess(config);
  // The plan is the diagnosis' own: the same reads of the node, its pods, PDBs and roles.
  const report = await runDiagnosis(
    diagnosisPorts(access),
    { cluster: target.cluster, watchSeconds: target.watchSeconds ?? DRAIN_WATCH_SECONDS },
    onProgress,
  );
  const model = buildReportModel(report);
  const finding = model.findings.find((f) => f.node.id === target.node);
  const clusterId = finding?.cluster.id ?? report.scope.clusterId ?? target.cluster;
  if (!finding)
    return {
      access,
      clusterId,
      nodeId: target.node,
      plan: null,
      refused: `the diagnosis found no loop on ${target.node} in ${target.cluster}: there is nothing to drain it for (rancher-doctor diagnose shows what it found)`,
    };
  const refused = !finding.drain
    ? 'the diagnosis has no drain plan for it'
    : finding.drainOffer.offered
      ? null
      : (finding.drainOffer.why ?? 'the drain is not offered for it');
  return { access, clusterId, nodeId: target.node, plan: finding.drain, refused };
}

export function runDrain(
  prepared: PreparedDrain & { plan: DrainPlan },
  settings: Partial<DrainSettings>,
  onStep: (message: string) => void,
  signal?: AbortSignal,
): Promise<DrainOutcome> {
  return applyDrainPlan(
    prepared.plan,
    drainPorts(prepared.access),
    memoryJournal(),
    systemClock,
    { ...DEFAULT_DRAIN_SETTINGS, ...settings },
    onStep,
    signal,
  );
}

export async function auditDrain(
  file: string,
  entry: {
    who: ReturnType<typeof whoRan>;
    clusterId: string;
    nodeId: string;
    outcome: DrainOutcome | { kind: 'refused'; reason: string } | { kind: 'declined' };
  },
  now: Date = new Date(),
): Promise<void> {
  const { outcome } = entry;
  await appendAuditLine(file, {
    at: now.toISOString(),
    action: 'fix drain',
    who: entry.who,
    object: { resource: 'nodes.management.cattle.io', namespace: entry.clusterId, name: entry.nodeId },
    outcome: outcome.kind,
    ...(outcome.kind === 'removed'
      ? { node: outcome.node, nodeUid: outcome.nodeUid, evicted: outcome.evicted }
      : {}),
    ...(outcome.kind === 'stopped'
      ? {
          node: outcome.node,
          reason: outcome.reason,
          evicted: outcome.evicted,
          blocked: outcome.blocked,
          cordoned: outcome.cordoned,
        }
      : {}),
    ...(outcome.kind === 'refused' ? { reason: outcome.reason } : {}),
    ...(outcome.kind === 'failed' ? { message: outcome.message, cordoned: outcome.cordoned } : {}),
  });
}
