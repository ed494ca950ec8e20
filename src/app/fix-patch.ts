import { userInfo } from 'node:os';
import { loadRancherConfig } from '../config/rancher.js';
import { chooseSibling, clusterFacts } from '../diagnosis/nodes.js';
import { resolveCluster } from '../diagnosis/scope.js';
import type { PatchPlan } from '../diagnosis/types.js';
import { appendAuditLine } from '../io/audit-file.js';
import { createClusterAccess, type ClusterAccess } from '../rancher/access.js';
import { patchPorts } from '../rancher/patch-ports.js';
import { memoryJournal } from '../remediation/apply/journal.js';
import { applyPatchPlan, DEFAULT_PATCH_SETTINGS, type PatchOutcome } from '../remediation/apply/patch.js';
import { patchEligibility, type PatchEligibility } from '../remediation/plans/patch-eligibility.js';
import { buildPatchPlan } from '../remediation/plans/patch-plan.js';

/** `rancher-doctor fix patch`: the diagnosis' patch plan for one node, and carrying it out. No Slack, no Redis. */
export interface FixPatchTarget {
  /** Cluster id or display name. */
  cluster: string;
  node: string;
  kubeconfig?: string;
  context?: string;
}

export interface PreparedPatch {
  access: ClusterAccess;
  clusterId: string;
  nodeId: string;
  plan: PatchPlan;
  eligibility: PatchEligibility;
}

/** The plan as the diagnosis builds it: the node object, its healthy sibling, the same builder. */
export async function preparePatch(
  target: FixPatchTarget,
  env: Record<string, string | undefined>,
): Promise<PreparedPatch> {
  const config = loadRancherConfig(env, { kubeconfigPath: target.kubeconfig, context: target.context });
  const access = createClusterAccess(config);
  const clusters = await access.listClusters();
  const facts = resolveCluster(target.cluster, clusters.map(clusterFacts));
  const nodes = await access.listNodeObjects(facts.id);
  const node =
    nodes.find((n) => n.metadata.name === target.node) ?? (await access.getNodeObject(facts.id, target.node));
  return {
    access,
    clusterId: facts.id,
    nodeId: node.metadata.name,
    plan: buildPatchPlan(node, chooseSibling(node, nodes)),
    eligibility: patchEligibility(facts, node),
  };
}

export async function runPatch(prepared: PreparedPatch, dryRunOnly: boolean): Promise<PatchOutcome> {
  return applyPatchPlan(prepared.plan, patchPorts(prepared.access), memoryJournal(), {
    ...DEFAULT_PATCH_SETTINGS,
    dryRunOnly,
  });
}

/** Who ran it: the OS user, and the kubeconfig user the cluster was reached as. */
export function whoRan(access: ClusterAccess | null): {
  osUser: string;
  kubeUser: string | null;
  via: string | null;
} {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = process.env.USER ?? 'unknown';
  }
  return { osUser, kubeUser: access?.user ?? null, via: access?.via ?? null };
}

export async function auditPatch(
  file: string,
  entry: {
    who: ReturnType<typeof whoRan>;
    clusterId: string;
    nodeId: string;
    dryRun: boolean;
    outcome: PatchOutcome | { kind: 'refused'; reason: string } | { kind: 'declined' };
  },
  now: Date = new Date(),
): Promise<void> {
  const { outcome } = entry;
  await appendAuditLine(file, {
    at: now.toISOString(),
    action: entry.dryRun ? 'fix patch --dry-run' : 'fix patch',
    who: entry.who,
    object: { resource: 'nodes.management.cattle.io', namespace: entry.clusterId, name: entry.nodeId },
    outcome: outcome.kind,
    ...(outcome.kind === 'applied'
      ? {
          resourceVersionBefore: outcome.resourceVersionBefore,
          resourceVersionAfter: outcome.resourceVersionAfter,
          objectBefore: outcome.objectBefore,
          patch: outcome.requests,
          attempts: outcome.attempts,
        }
      : {}),
    ...(outcome.kind === 'already-applied' || outcome.kind === 'dry-run-passed'
      ? { resourceVersion: outcome.resourceVersion }
      : {}),
    ...(outcome.kind === 'refused' ? { reason: outcome.reason } : {}),
    ...(outcome.kind === 'failed' ? { message: outcome.message, attempts: outcome.attempts } : {}),
  });
}
