import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditEntry } from '../remediation/approval/audit.js';
import {
  decisionId,
  finish,
  startRunning,
  uncordoned,
  verified,
  type Decision,
  type DecisionResult,
  type FixKind,
  type ObjectRef,
  type ObjectState,
} from '../remediation/approval/decision.js';
import type {
  DrainOutcome,
  PatchOutcome,
  RemediationExecutor,
  RemediationRequest,
} from '../remediation/approval/executor.js';
import type { Metrics } from '../server/metrics.js';
import type { AuditLog } from './audit-log.js';
import type { DecisionStore } from './decision-store.js';
import type { PlanStore } from './plan-store.js';
import {
  REMEDIATION_QUEUE,
  remediationJobDataSchema,
  type RemediationJobData,
  type RemediationQueue,
} from './remediation-queue.js';
import type { RemediationReporter } from './remediation-reporter.js';
import { watchRedisOutage, type RedisOutage } from './redis.js';
import { redisStepJournal } from './step-journal.js';

export interface RemediationWorkerOptions {
  connection: Redis;
  prefix: string;
  decisions: DecisionStore;
  plans: PlanStore;
  audit: AuditLog;
  queue: RemediationQueue;
  executor: RemediationExecutor;
  reporter: RemediationReporter;
  log: Logger;
  verifyAfterSeconds: number;
  journalTtlSeconds: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  now?: () => Date;
  /** Shared with the other workers on the connection, so an outage is logged once. */
  outage?: RedisOutage;
  metrics?: Pick<Metrics, 'fixes'>;
}

export interface RemediationWorker {
  worker: Worker;
  close(): Promise<void>;
}

/**
 * Carries out decided fixes: takes the decision up (it may have moved on: then nothing), calls the
 * executor with the decision's journal, records the result on the decision, in the audit trail and
 * through the reporter, and after a patch schedules the verification.
 */
export function startRemediationWorker(options: RemediationWorkerOptions): RemediationWorker {
  const { decisions, audit, log } = options;
  const now = () => (options.now?.() ?? new Date()).toISOString();

  const processor = async (job: Job): Promise<string> => {
    const parsed = remediationJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed remediation job: ${parsed.error.message}`);
    const data = parsed.data;
    const object: ObjectRef = { clusterId: data.clusterId, nodeId: data.nodeId };
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (job.name === 'uncordon') return uncordon(data, object, last);
    return job.name === 'verify' ? verify(data, object, last) : apply(data, object, last);
  };

  const entry = (d: Decision, object: ObjectRef, rest: Partial<AuditEntry>): AuditEntry => ({
    at: now(),
    event: 'execution',
    slackUser: null,
    kubernetesIdentity: null,
    ...object,
    kind: d.kind,
    decision: d.number,
    planId: d.planId,
    detail: null,
    approvedBy: d.approvals.map((a) => a.userId),
    ...rest,
  });

  async function request(
    data: RemediationJobData,
    object: ObjectRef,
    d: Decision,
  ): Promise<RemediationRequest | null> {
    const plan = await options.plans.get(data.planId);
    if (!plan) return null;
    return {
      decisionId: decisionId(object, d.number),
      planId: data.planId,
      ...object,
      plan: plan.plan,
      approvedBy: d.approvals.map((a) => a.userId),
    };
  }

  async function apply(data: RemediationJobData, object: ObjectRef, last: boolean): Promise<string> {
    // A decision already running was taken up before: by a worker that stopped (its job stalled)
    // or by an attempt that failed. The audit trail says so, instead of a second "carrying out".
    const { state, result: taken } = await decisions.update(object, (s) => {
      const next = startRunning(s, data.number, now());
      return { next, result: next === null ? null : { resumed: s?.current?.status === 'running' } };
    });
    if (!taken || !state?.current) return 'not the live decision';
    const d = state.current;
    await options.reporter.changed(object, state, 'running');
    const req = await request(data, object, d);
    if (!req) return record(data, object, d, { outcome: 'failed', message: 'the plan has expired' });
    const detail = taken.resumed
      ? `resuming the ${d.kind}: it was started before, and the steps recorded then are not done again`
      : `carrying out the ${d.kind}`;
    await audit.append(entry(d, object, { event: 'execution', detail }));
    const journal = redisStepJournal(
      options.connection,
      options.prefix,
      req.decisionId,
      options.journalTtlSeconds,
    );
    let outcome: PatchOutcome | DrainOutcome;
    try {
      outcome =
        data.kind === 'patch'
          ? await options.executor.applyPatch(req, journal)
          : options.executor.applyDrain
            ? await options.executor.applyDrain(req, journal)
            : {
                outcome: 'refused',
                reason: 'this version does not carry out the drain: follow the steps in the report',
              };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ decision: req.decisionId, err: message, last }, 'remediation step failed');
      if (!last) throw err;
      outcome = { outcome: 'failed', message };
    }
    return record(data, object, d, outcome);
  }

  async function record(
    data: RemediationJobData,
    object: ObjectRef,
    d: Decision,
    outcome: PatchOutcome | DrainOutcome,
  ): Promise<string> {
    const result = toResult(outcome, now());
    const { state, result: closed } = await decisions.update(object, (s) => {
      const next = finish(s, d.number, result);
      return { next, result: next !== null };
    });
    // Counted where the decision closes, so a job resumed after a crash is not counted twice.
    if (closed) options.metrics?.fixes.inc(fixLabels(data.kind, outcome));
    await audit.append(
      entry(d, object, {
        event: 'result',
        detail: `${result.outcome}${result.detail ? `: ${result.detail}` : ''}`,
        kubernetesIdentity: 'kubernetesIdentity' in outcome ? (outcome.kubernetesIdentity ?? null) : null,
        ...(outcome.outcome === 'applied'
          ? {
              resourceVersionBefore: outcome.resourceVersionBefore,
              resourceVersionAfter: outcome.resourceVersionAfter,
              before: outcome.before,
              patch: outcome.patch,
            }
          : {}),
      }),
    );
    if (state) await options.reporter.changed(object, state, 'result');
    if (result.outcome === 'applied' || result.outcome === 'already-applied' || result.outcome === 'removed')
      await options.queue.enqueueVerify(data, options.verifyAfterSeconds);
    return result.outcome;
  }

  /** Uncordon after a stopped drain: the decision is over, so it is only recorded on it. */
  async function uncordon(data: RemediationJobData, object: ObjectRef, last: boolean): Promise<string> {
    const state = await decisions.get(object);
    const d = state?.current;
    if (!d || d.number !== data.number || d.kind !== 'drain') return 'not the latest decision';
    const req = await request(data, object, d);
    let outcome;
    if (!req || !options.executor.uncordon) {
      outcome = {
        outcome: 'failed' as const,
        message: req ? 'this worker cannot reach the cluster to uncordon' : 'the plan has expired',
      };
    } else {
      const journal = redisStepJournal(
        options.connection,
        options.prefix,
        req.decisionId,
        options.journalTtlSeconds,
      );
      try {
        outcome = await options.executor.uncordon(req, journal);
      } catch (err) {
        if (!last) throw err;
        outcome = { outcome: 'failed' as const, message: err instanceof Error ? err.message : String(err) };
      }
    }
    const record = {
      by: data.askedBy ?? 'unknown',
      at: now(),
      outcome: outcome.outcome,
      message: outcome.message,
    };
    const { state: written } = await decisions.update(object, (s) => ({
      next: uncordoned(s, d.number, record),
      result: null,
    }));
    await audit.append(
      entry(d, object, {
        event: 'result',
        slackUser: data.askedBy ?? null,
        kubernetesIdentity: 'kubernetesIdentity' in outcome ? (outcome.kubernetesIdentity ?? null) : null,
        detail: `uncordon: ${outcome.outcome}: ${outcome.message}`,
      }),
    );
    if (written) await options.reporter.changed(object, written, 'uncordoned');
    return outcome.outcome;
  }

  async function verify(data: RemediationJobData, object: ObjectRef, last: boolean): Promise<string> {
    const state = await decisions.get(object);
    const d = state?.current;
    if (!d || d.number !== data.number) return 'not the latest decision';
    const req = await request(data, object, d);
    if (!req) return 'the plan has expired';
    const journal = redisStepJournal(
      options.connection,
      options.prefix,
      req.decisionId,
      options.journalTtlSeconds,
    );
    let outcome;
    try {
      outcome = await options.executor.verify(req, journal);
    } catch (err) {
      if (!last) throw err;
      outcome = { outcome: 'failed' as const, message: err instanceof Error ? err.message : String(err) };
    }
    const plan = await options.plans.get(data.planId);
    const v =
      outcome.outcome === 'failed'
        ? null
        : {
            stopped: outcome.outcome === 'stopped',
            writesPerMinute: outcome.writesPerMinute,
            siblingWritesPerMinute: outcome.siblingWritesPerMinute,
            wasWritesPerMinute: plan?.writesPerMinute ?? null,
            detail:
              outcome.outcome === 'unclear'
                ? outcome.siblingWritesPerMinute === null
                  ? 'under the loop rule, with no healthy sibling to compare with'
                  : 'under the loop rule, but faster than its healthy sibling'
                : null,
            at: now(),
          };
    const written: ObjectState | null = v
      ? (await decisions.update(object, (s) => ({ next: verified(s, d.number, v), result: null }))).state
      : null;
    await audit.append(
      entry(d, object, {
        event: 'verification',
        detail:
          outcome.outcome === 'failed'
            ? `could not measure: ${outcome.message}`
            : `${outcome.outcome}: ${outcome.writesPerMinute} writes/min`,
      }),
    );
    if (written) await options.reporter.changed(object, written, 'verified');
    return outcome.outcome;
  }

  const worker = new Worker(REMEDIATION_QUEUE, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 2,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: 2,
  });
  const outage = options.outage ?? watchRedisOutage(options.connection, log);
  worker.on('error', (err) => {
    if (!outage.absorb(err)) log.error({ err: err.message }, 'remediation worker error');
  });
  // A job that BullMQ gives up on without its processor saying so (it stalled too often, its data
  // was unreadable) must not hold the object for ever: its decision is closed as failed.
  worker.on('failed', (job, err) => {
    if (!job || job.name !== 'apply' || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const parsed = remediationJobDataSchema.safeParse(job.data);
    if (!parsed.success) return;
    const object = { clusterId: parsed.data.clusterId, nodeId: parsed.data.nodeId };
    const result = toResult({ outcome: 'failed', message: err.message }, now());
    void decisions
      .update(object, (s) => {
        const next = finish(s, parsed.data.number, result);
        return { next, result: next !== null };
      })
      .then(({ state, result: closed }) => {
        if (closed) options.metrics?.fixes.inc({ fix: parsed.data.kind, outcome: 'failed', reason: 'error' });
        return state && options.reporter.changed(object, state, 'result');
      })
      .catch((e: unknown) => log.warn({ err: String(e) }, 'could not close a failed remediation'));
  });
  return { worker, close: () => worker.close() };
}

/** fixes_total's labels: a refusal is stale when the object changed since the diagnosis. */
export function fixLabels(
  fix: FixKind,
  outcome: PatchOutcome | DrainOutcome,
): { fix: FixKind; outcome: string; reason?: string } {
  switch (outcome.outcome) {
    case 'refused':
      return { fix, outcome: 'refused', reason: outcome.changed?.length ? 'stale' : 'not-eligible' };
    case 'failed':
      return { fix, outcome: 'failed', reason: ('cause' in outcome && outcome.cause) || 'error' };
    default:
      return { fix, outcome: outcome.outcome };
  }
}

function toResult(outcome: PatchOutcome | DrainOutcome, at: string): DecisionResult {
  const base: DecisionResult = {
    outcome: outcome.outcome,
    detail: null,
    changed: [],
    resourceVersionBefore: null,
    resourceVersionAfter: null,
    diff: null,
    attempts: null,
    at,
  };
  switch (outcome.outcome) {
    case 'applied':
      return {
        ...base,
        resourceVersionBefore: outcome.resourceVersionBefore,
        resourceVersionAfter: outcome.resourceVersionAfter,
        diff: outcome.diff,
        attempts: outcome.attempts,
      };
    case 'already-applied':
      return { ...base, resourceVersionAfter: outcome.resourceVersion ?? null };
    case 'removed':
      return {
        ...base,
        drain: {
          ...NO_DRAIN,
          node: outcome.node,
          evicted: outcome.evicted,
          cordoned: true,
          nodeDeleted: true,
          machineObjectGone: outcome.machineObjectGone,
        },
      };
    case 'stopped':
      return {
        ...base,
        detail: outcome.reason === 'deadline' ? 'DRAIN_TIMEOUT reached' : 'stopped by an approver',
        drain: {
          ...NO_DRAIN,
          node: outcome.node,
          evicted: outcome.evicted,
          blocked: outcome.blocked,
          terminating: outcome.terminating,
          cordoned: outcome.cordoned,
          stopReason: outcome.reason,
          stoppedBy: outcome.stoppedBy,
        },
      };
    case 'refused':
      return { ...base, detail: outcome.reason, changed: outcome.changed ?? [] };
    case 'failed':
      return {
        ...base,
        detail: outcome.message,
        ...('cordoned' in outcome && outcome.cordoned ? { drain: { ...NO_DRAIN, cordoned: true } } : {}),
      };
  }
}

const NO_DRAIN = {
  node: '',
  evicted: [],
  blocked: [],
  terminating: [],
  cordoned: false,
  nodeDeleted: false,
  machineObjectGone: null,
  stopReason: null,
  stoppedBy: null,
  uncordon: null,
};
