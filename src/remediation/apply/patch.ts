import { WriteRefusedError } from '../../errors.js';
import { clusterFacts } from '../../diagnosis/nodes.js';
import type { ManagementNode } from '../../diagnosis/objects.js';
import type { PatchPlan } from '../../diagnosis/types.js';
import { basisChanges, fixProgress, planParts, type FixProgress } from '../plans/patch-basis.js';
import { patchEligibility } from '../plans/patch-eligibility.js';
import { objectDiff } from '../plans/patch-plan.js';
import type { StepJournal } from './journal.js';
import type { PatchPorts } from './ports.js';

/**
 * Fix A carried out: the checks, a server-side dry run, then the write, each step recorded in the
 * journal so that a resumed run never writes twice.
 *
 * The write is a merge patch carrying metadata.resourceVersion, re-read and retried on 409. A
 * resourceVersion pins the whole object the checks just passed on, absences included; an RFC 6902
 * `test` can pin a value but not that status.rkeNode is still absent, so a JSON patch would
 * overwrite an rkeNode that Rancher (or a person) wrote meanwhile. The cost is losing races to the
 * loop's rewrites, which a fast re-read wins within a few tries (bench: patch-race).
 */

export interface PatchSettings {
  /** Reads and writes tried at most per phase (dry run, write) before giving up on conflicts. */
  maxAttempts: number;
  /** Stop after the dry run (the CLI's --dry-run): the outcome is `dry-run-passed`. */
  dryRunOnly?: boolean;
}

export const DEFAULT_PATCH_SETTINGS: PatchSettings = { maxAttempts: 10 };

/** One request of the write: the main resource, or its /status when the CRD has that subresource. */
export interface PatchRequest {
  target: 'object' | 'status';
  /** The merge patch sent, metadata.resourceVersion included. */
  patch: Record<string, unknown>;
}

export type PatchOutcome =
  | {
      kind: 'applied';
      clusterId: string;
      nodeId: string;
      resourceVersionBefore: string;
      resourceVersionAfter: string;
      /** The object as it was just before the write (managedFields dropped, SSH keys masked). */
      objectBefore: unknown;
      requests: PatchRequest[];
      /** Unified diff of what the write changed. */
      diff: string;
      /** Write attempts, conflicts with the loop included. */
      attempts: number;
    }
  | { kind: 'already-applied'; clusterId: string; nodeId: string; resourceVersion: string }
  | {
      kind: 'dry-run-passed';
      clusterId: string;
      nodeId: string;
      resourceVersion: string;
      requests: PatchRequest[];
    }
  | { kind: 'refused'; clusterId: string; nodeId: string; reason: string; changed: string[] }
  | {
      kind: 'failed';
      clusterId: string;
      nodeId: string;
      message: string;
      attempts: number;
      /** What stopped it: the apiserver refused the dry run or the write, or the loop won every conflict. */
      cause?: PatchFailure;
    };

export type PatchFailure = 'dry-run-refused' | 'write-refused' | 'conflicts';

/** Step names in the journal. */
export const PATCH_STEPS = {
  eligibility: 'patch:eligibility',
  subresources: 'patch:subresources',
  dryRun: 'patch:dry-run',
  outcome: 'patch:outcome',
} as const;

type Sent =
  | {
      kind: 'sent';
      before: ManagementNode;
      after: ManagementNode;
      requests: PatchRequest[];
      attempts: number;
    }
  | Exclude<PatchOutcome, { kind: 'applied' | 'dry-run-passed' }>;

export async function applyPatchPlan(
  plan: PatchPlan,
  ports: PatchPorts,
  journal: StepJournal,
  settings: PatchSettings = DEFAULT_PATCH_SETTINGS,
  signal?: AbortSignal,
): Promise<PatchOutcome> {
  const finished = (await journal.get(PATCH_STEPS.outcome)) as PatchOutcome | null;
  if (finished) return finished;
  const { clusterId, nodeId } = plan;
  const finish = async (outcome: PatchOutcome): Promise<PatchOutcome> => {
    await journal.record(PATCH_STEPS.outcome, outcome);
    return outcome;
  };
  const refuse = (reason: string, changed: string[] = []) =>
    finish({ kind: 'refused', clusterId, nodeId, reason, changed });

  if (!plan.basis)
    return refuse(
      'the plan does not say what it was built from (an older version made it): run the diagnosis again',
    );
  if (!plan.complete)
    return refuse(
      `the plan is incomplete (${plan.underivable.map((u) => u.field).join(', ') || 'nothing to write'}): it cannot be applied as it is`,
    );

  if (!(await journal.get(PATCH_STEPS.eligibility))) {
    const [cluster, node] = await Promise.all([
      ports.getCluster(clusterId, signal),
      ports.getNodeObject(clusterId, nodeId, signal),
    ]);
    const eligibility = patchEligibility(clusterFacts(cluster), node);
    if (!eligibility.eligible) return refuse(eligibility.reason);
    await journal.record(PATCH_STEPS.eligibility, { eligible: true });
  }

  let subresources = (await journal.get(PATCH_STEPS.subresources)) as { status: boolean } | null;
  if (!subresources) {
    subresources = { status: await ports.nodeObjectsHaveStatusSubresource(signal) };
    await journal.record(PATCH_STEPS.subresources, subresources);
  }
  const send = (dryRun: boolean) =>
    sendPlan(plan, ports, { dryRun, statusSubresource: subresources.status }, settings, signal);

  if (!(await journal.get(PATCH_STEPS.dryRun))) {
    const dry = await send(true);
    if (dry.kind !== 'sent') return finish(dry);
    const resourceVersion = dry.before.metadata.resourceVersion ?? '';
    // A dry run alone is not recorded as an outcome: the same journal may go on to the write.
    if (settings.dryRunOnly)
      return { kind: 'dry-run-passed', clusterId, nodeId, resourceVersion, requests: dry.requests };
    await journal.record(PATCH_STEPS.dryRun, { resourceVersion });
  }

  const wet = await send(false);
  if (wet.kind !== 'sent') return finish(wet);
  const changes = wet.requests.reduce<Record<string, unknown>>((all, r) => {
    const { metadata: _m, ...rest } = r.patch;
    return { ...all, ...rest };
  }, {});
  return finish({
    kind: 'applied',
    clusterId,
    nodeId,
    resourceVersionBefore: wet.before.metadata.resourceVersion ?? '',
    resourceVersionAfter: wet.after.metadata.resourceVersion ?? '',
    objectBefore: forRecord(wet.before),
    requests: wet.requests,
    diff: objectDiff(wet.before, changes),
    attempts: wet.attempts,
  });
}

/**
 * Re-read, check, send; again on a conflict, up to the limit. The object the checks passed on is
 * the one the write's resourceVersion names, so nothing changed in between can be overwritten.
 */
async function sendPlan(
  plan: PatchPlan,
  ports: PatchPorts,
  how: { dryRun: boolean; statusSubresource: boolean },
  settings: PatchSettings,
  signal?: AbortSignal,
): Promise<Sent> {
  const { clusterId, nodeId } = plan;
  const what = how.dryRun ? 'the dry run' : 'the write';
  let progress: FixProgress | null = null;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    const node = await ports.getNodeObject(clusterId, nodeId, signal);
    progress = fixProgress(node, plan);
    if (progress.specInPlace && progress.statusInPlace)
      return {
        kind: 'already-applied',
        clusterId,
        nodeId,
        resourceVersion: node.metadata.resourceVersion ?? '',
      };
    const changed = basisChanges(plan.basis!, node, progress);
    if (changed.length)
      return {
        kind: 'refused',
        clusterId,
        nodeId,
        reason: `the node object changed since the diagnosis (${changed.join('; ')}): run the diagnosis again`,
        changed,
      };
    const requests = requestsFor(plan, progress, how.statusSubresource);
    const sent: PatchRequest[] = [];
    let resourceVersion = node.metadata.resourceVersion ?? '';
    let after = node;
    try {
      for (const request of requests) {
        const patch = { ...request.patch, metadata: { resourceVersion } };
        sent.push({ target: request.target, patch });
        after = await ports.patchNodeObject(
          clusterId,
          nodeId,
          patch,
          { dryRun: how.dryRun, ...(request.target === 'status' ? { subresource: 'status' as const } : {}) },
          signal,
        );
        if (!how.dryRun) resourceVersion = after.metadata.resourceVersion ?? resourceVersion;
      }
      return { kind: 'sent', before: node, after, requests: sent, attempts: attempt };
    } catch (error) {
      if (!(error instanceof WriteRefusedError)) {
        // No answer (a timeout, a reset): whether a write landed is unknown. Thrown, so the job is
        // retried; its next run re-reads and sees whether the fix is in place.
        throw error;
      }
      if (error.isConflict) continue;
      const message = error.message;
      const written =
        !how.dryRun && sent.length > 1 ? ' (spec.customConfig was written; status.rkeNode was not)' : '';
      return {
        kind: 'failed',
        clusterId,
        nodeId,
        message: `${what} was refused: ${message}${written || (how.dryRun ? '; nothing was written' : '')}`,
        attempts: attempt,
        cause: how.dryRun ? 'dry-run-refused' : 'write-refused',
      };
    }
  }
  const partly = progress && progress.specInPlace !== progress.statusInPlace;
  return {
    kind: 'failed',
    clusterId,
    nodeId,
    message: `${what} lost to other writers of the object ${settings.maxAttempts} times in a row (409 Conflict each time): ${partly ? 'part of the fix is in place; try again' : 'nothing was written; try again'}`,
    attempts: settings.maxAttempts,
    cause: 'conflicts',
  };
}

/** One merge patch of the object, or spec on the object and status through /status. */
function requestsFor(
  plan: PatchPlan,
  progress: FixProgress,
  statusSubresource: boolean,
): { target: 'object' | 'status'; patch: Record<string, unknown> }[] {
  const { spec, status } = planParts(plan);
  const specPart = spec && !progress.specInPlace ? { spec } : null;
  const statusPart = status && !progress.statusInPlace ? { status } : null;
  if (!statusSubresource) return [{ target: 'object', patch: { ...specPart, ...statusPart } }];
  return [
    ...(specPart ? [{ target: 'object' as const, patch: specPart }] : []),
    ...(statusPart ? [{ target: 'status' as const, patch: statusPart }] : []),
  ];
}

const MASKED = ['sshKey', 'sshCert'];

/** The object as an audit entry keeps it: no managedFields, no SSH key material. */
export function forRecord(node: ManagementNode): unknown {
  const copy = structuredClone(node) as ManagementNode & { metadata: { managedFields?: unknown } };
  delete copy.metadata.managedFields;
  for (const holder of [copy.spec.customConfig, copy.status.rkeNode] as (
    Record<string, unknown> | null | undefined
  )[]) {
    if (!holder) continue;
    for (const key of MASKED) if (holder[key]) holder[key] = '(masked)';
  }
  return copy;
}
