import type { ClusterAccess } from '../rancher/access.js';
import { drainPorts } from '../rancher/drain-ports.js';
import { patchPorts } from '../rancher/patch-ports.js';
import type {
  DrainOutcome,
  PatchOutcome,
  RemediationExecutor,
  RemediationRequest,
  StepJournal,
  VerifyOutcome,
} from '../remediation/approval/executor.js';
import { applyPatchPlan, DEFAULT_PATCH_SETTINGS } from '../remediation/apply/patch.js';
import {
  applyDrainPlan,
  DEFAULT_DRAIN_SETTINGS,
  uncordon,
  type DrainClock,
  type DrainSettings,
} from '../remediation/apply/drain.js';
import { readDrainPlan, readPatchPlan } from '../remediation/apply/plan-schema.js';
import { DEFAULT_VERIFY_SETTINGS, verifyLoopStopped } from '../remediation/apply/verify.js';

export interface ClusterExecutorSettings {
  /** How long the object's writes are counted after the fix (the wait before is the queue's delay). */
  verifyWindowSeconds: number;
  /** DRAIN_TIMEOUT and the drain's other waits. */
  drain?: DrainSettings;
}

/** The clock the drain waits on in production. */
export const systemClock: DrainClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    }),
};

const VERIFIED = 'verify:outcome';

/**
 * The fixes carried out on the clusters this process reaches: the patch through
 * `remediation/apply`, checked and journalled there, and its verification. The plan comes from
 * Redis, so it is read back through its schema before anything is done with it.
 */
export function clusterExecutor(
  access: ClusterAccess,
  settings: ClusterExecutorSettings,
  clock: DrainClock = systemClock,
): RemediationExecutor {
  const ports = patchPorts(access);
  const drainSettings = settings.drain ?? DEFAULT_DRAIN_SETTINGS;

  function drainPlanOf(req: RemediationRequest) {
    const plan = readDrainPlan(req.plan);
    if (!plan)
      return {
        refused:
          'the stored drain plan cannot be read (a plan from an older version?): run the diagnosis again',
      };
    if (plan.clusterId !== req.clusterId || plan.nodeId !== req.nodeId)
      return {
        refused: `the plan is for ${plan.clusterId}/${plan.nodeId}, not ${req.clusterId}/${req.nodeId}`,
      };
    return { plan };
  }

  function planOf(req: RemediationRequest) {
    const plan = readPatchPlan(req.plan);
    if (!plan)
      return {
        refused: 'the stored plan cannot be read (a plan from an older version?): run the diagnosis again',
      };
    if (plan.clusterId !== req.clusterId || plan.nodeId !== req.nodeId)
      return {
        refused: `the plan is for ${plan.clusterId}/${plan.nodeId}, not ${req.clusterId}/${req.nodeId}`,
      };
    return { plan };
  }

  return {
    async applyPatch(req, journal): Promise<PatchOutcome> {
      const read = planOf(req);
      if (!read.plan) return { outcome: 'refused', reason: read.refused };
      const out = await applyPatchPlan(read.plan, ports, journal, DEFAULT_PATCH_SETTINGS);
      const identity = access.user ?? null;
      switch (out.kind) {
        case 'applied':
          await recordPatched(access, req, out, journal);
          return {
            outcome: 'applied',
            resourceVersionBefore: out.resourceVersionBefore,
            resourceVersionAfter: out.resourceVersionAfter,
            before: out.objectBefore,
            patch: out.requests,
            diff: out.diff,
            attempts: out.attempts,
            kubernetesIdentity: identity,
          };
        case 'already-applied':
          return {
            outcome: 'already-applied',
            resourceVersion: out.resourceVersion,
            kubernetesIdentity: identity,
          };
        case 'refused':
          return { outcome: 'refused', reason: out.reason, changed: out.changed };
        case 'failed':
          return { outcome: 'failed', message: out.message, ...(out.cause ? { cause: out.cause } : {}) };
        case 'dry-run-passed':
          // Only the CLI's --dry-run stops there; an approval always writes.
          return { outcome: 'failed', message: 'the write was not attempted after the dry run' };
      }
    },

    async applyDrain(req, journal): Promise<DrainOutcome> {
      const read = drainPlanOf(req);
      if (!read.plan) return { outcome: 'refused', reason: read.refused };
      const out = await applyDrainPlan(read.plan, drainPorts(access), journal, clock, drainSettings);
      // Every write but the machine- object's removal (Rancher's) goes downstream, as this identity.
      const identity = access.downstream(req.clusterId).identity;
      switch (out.kind) {
        case 'removed':
          return {
            outcome: 'removed',
            node: out.node,
            evicted: out.evicted,
            machineObjectGone: out.machineObjectGone,
            kubernetesIdentity: identity,
          };
        case 'stopped':
          return {
            outcome: 'stopped',
            node: out.node,
            reason: out.reason,
            stoppedBy: out.stoppedBy,
            cordoned: out.cordoned,
            evicted: out.evicted,
            blocked: out.blocked,
            terminating: out.terminating,
            kubernetesIdentity: out.cordoned ? identity : null,
          };
        case 'refused':
          return { outcome: 'refused', reason: out.reason, changed: out.changed };
        case 'failed':
          return {
            outcome: 'failed',
            message: out.message,
            cordoned: out.cordoned,
            kubernetesIdentity: out.cordoned ? identity : null,
          };
      }
    },

    async uncordon(req, journal) {
      const read = drainPlanOf(req);
      if (!read.plan) return { outcome: 'failed', message: read.refused };
      const out = await uncordon(read.plan, drainPorts(access), journal, drainSettings);
      return {
        outcome: out.kind,
        message: out.message,
        kubernetesIdentity: out.kind === 'uncordoned' ? access.downstream(req.clusterId).identity : null,
      };
    },

    async verify(req, journal): Promise<VerifyOutcome> {
      const done = (await journal.get(VERIFIED)) as VerifyOutcome | null;
      if (done) return done;
      const patch = planOf(req);
      const drain = patch.plan ? null : drainPlanOf(req);
      if (!patch.plan && !drain?.plan)
        return { outcome: 'failed', message: patch.refused ?? 'the plan cannot be read' };
      const result = await verifyLoopStopped(
        {
          watchNodeObjects: (options, onEvent, signal) => access.watchNodeObjects(options, onEvent, signal),
          // The queue waited VERIFY_AFTER before this job ran.
          sleep: async () => undefined,
        },
        {
          clusterId: req.clusterId,
          nodeId: req.nodeId,
          siblingId: patch.plan?.siblingId ?? null,
          beforePerMinute: null,
        },
        { ...DEFAULT_VERIFY_SETTINGS, delaySeconds: 0, windowSeconds: settings.verifyWindowSeconds },
      );
      // After a drain the object itself is gone: no write at all, and nothing left to write, is the loop stopped.
      if (
        drain &&
        result.writes === 0 &&
        !(await drainPorts(access).getNodeObject(req.clusterId, req.nodeId))
      )
        result.verdict = 'stopped';
      const outcome: VerifyOutcome = {
        outcome: result.verdict,
        writesPerMinute: result.writesPerMinute,
        siblingWritesPerMinute: result.siblingWritesPerMinute,
        watchedSeconds: result.windowSeconds,
      };
      await journal.record(VERIFIED, outcome);
      return outcome;
    },
  };
}

const EVENT_RECORDED = 'patch:event';

/**
 * The change, as a Kubernetes Event on the node object, for whoever looks there rather than in
 * Slack. Once per decision (a resumed job does not repeat it); its failure leaves the fix as it is.
 */
async function recordPatched(
  access: ClusterAccess,
  req: RemediationRequest,
  out: { resourceVersionBefore: string; resourceVersionAfter: string; objectBefore: unknown },
  journal: StepJournal,
): Promise<void> {
  if (await journal.get(EVENT_RECORDED)) return;
  const uid = (out.objectBefore as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
  await access
    .recordNodeObjectEvent({
      clusterId: req.clusterId,
      nodeId: req.nodeId,
      uid: typeof uid === 'string' ? uid : null,
      reason: 'RancherDoctorPatched',
      message: `rancher-doctor wrote status.rkeNode and spec.customConfig (resourceVersion ${out.resourceVersionBefore} -> ${out.resourceVersionAfter}), approved in Slack by ${req.approvedBy.join(', ')}`,
    })
    .then(
      () => journal.record(EVENT_RECORDED, true),
      () => undefined,
    );
}
