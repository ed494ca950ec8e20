/**
 * One decision at a time per object (cluster, node), whatever the number of reports showing it.
 * These are the rules; the store that keeps the state and swaps it atomically is at the edge.
 */

export type FixKind = 'patch' | 'drain';
export type DecisionKind = FixKind | 'dismiss';

export interface ObjectRef {
  clusterId: string;
  nodeId: string;
}

export const objectKey = (o: ObjectRef): string => `${o.clusterId}/${o.nodeId}`;

/**
 * awaiting: approvals short of those required; queued, running: the action is carried out. Those
 * hold the object. The others have ended it: finished, failed and refused come from the action.
 */
export type DecisionStatus =
  | 'awaiting'
  | 'queued'
  | 'running'
  | 'finished'
  | 'failed'
  | 'refused'
  | 'stopped'
  | 'dismissed'
  | 'rejected';

export interface Approval {
  userId: string;
  at: string;
}

/** What a drain did, for the messages: which pods, what held it up, what is left to do. */
export interface DrainFacts {
  node: string;
  evicted: string[];
  /** Pods not evicted when it stopped, with the PodDisruptionBudgets selecting them. */
  blocked: { pod: string; pdbs: string[]; message: string }[];
  /** Evicted, still terminating when it stopped. */
  terminating: string[];
  cordoned: boolean;
  nodeDeleted: boolean;
  /** Whether Rancher removed the machine- object within the wait; null before the delete. */
  machineObjectGone: boolean | null;
  stopReason: 'deadline' | 'stop' | null;
  stoppedBy: string | null;
  /** The Uncordon asked for after it stopped, and what came of it. */
  uncordon: { by: string; at: string; outcome: string; message: string } | null;
}

/** What the action came to, in the words the messages show. */
export interface DecisionResult {
  /** removed, stopped: the drain's. */
  outcome: 'applied' | 'already-applied' | 'removed' | 'stopped' | 'refused' | 'failed';
  /** One line: why refused, what failed. */
  detail: string | null;
  /** What the plan was built from and changed since (a refusal). */
  changed: string[];
  resourceVersionBefore: string | null;
  resourceVersionAfter: string | null;
  diff: string | null;
  attempts: number | null;
  at: string;
  /** The drain's facts; absent for the patch and in older records. */
  drain?: DrainFacts | null;
}

export interface Verification {
  stopped: boolean;
  writesPerMinute: number;
  siblingWritesPerMinute: number | null;
  /** The rate the diagnosis measured, for "was ...". */
  wasWritesPerMinute: number | null;
  detail: string | null;
  at: string;
}

export interface Decision {
  /** Counts the object's decisions from 1: the remediation job's id is built from it. */
  number: number;
  kind: DecisionKind;
  planId: string;
  /** The diagnosis whose report proposed the plan: its thread gets the follow-ups. */
  diagnosisJobId: string;
  requestedBy: string | null;
  required: number;
  approvals: Approval[];
  /** A rejection or a dismissal. */
  closedBy: Approval | null;
  status: DecisionStatus;
  openedAt: string;
  expiresAt: string;
  updatedAt: string;
  result: DecisionResult | null;
  verification: Verification | null;
}

export interface ObjectState {
  object: ObjectRef;
  /** Decisions taken on the object so far. */
  count: number;
  /** Plans made at or before this moment were closed (dismissed, rejected): a new diagnosis makes new ones. */
  closedBefore: string | null;
  current: Decision | null;
}

export const decisionId = (o: ObjectRef, number: number): string => `${objectKey(o)}#${number}`;

/** True while the decision keeps every other decision off the object. */
export function holds(d: Decision, now: string): boolean {
  if (d.status === 'queued' || d.status === 'running') return true;
  return d.status === 'awaiting' && now < d.expiresAt;
}

/** An approval short of its count whose time ran out. */
export function expired(d: Decision, now: string): boolean {
  return d.status === 'awaiting' && now >= d.expiresAt;
}

export interface PlanRef {
  id: string;
  kind: DecisionKind;
  createdAt: string;
  diagnosisJobId: string;
  requestedBy: string | null;
}

export interface Click {
  action: 'approve' | 'reject' | 'dismiss';
  userId: string;
  at: string;
  plan: PlanRef;
  /** Approvals the plan's fix needs (1 for a dismissal). */
  required: number;
  approvalTtlSeconds: number;
}

export type ClickOutcome =
  | { type: 'counted'; decision: Decision }
  | { type: 'approved'; decision: Decision }
  | { type: 'dismissed'; decision: Decision }
  | { type: 'rejected'; decision: Decision }
  | { type: 'already-counted'; decision: Decision }
  | { type: 'held'; decision: Decision }
  | { type: 'closed'; decision: Decision | null }
  | { type: 'expired' }
  | { type: 'nothing-to-reject'; decision: Decision | null };

/** The request a report's plans make can be approved for this long after the diagnosis made them. */
export function requestExpiresAt(plan: PlanRef, ttlSeconds: number): string {
  return new Date(Date.parse(plan.createdAt) + ttlSeconds * 1000).toISOString();
}

/**
 * The state after a click and what to tell the clicker; `next` null when nothing changes. The
 * clicker's right to approve is checked before (mayApprove); this decides what the click means for
 * the object, given everything decided on it so far.
 */
export function applyClick(
  state: ObjectState | null,
  object: ObjectRef,
  click: Click,
): { next: ObjectState | null; outcome: ClickOutcome } {
  const base: ObjectState = state ?? { object, count: 0, closedBefore: null, current: null };
  const current = base.current;
  const expiresAt = requestExpiresAt(click.plan, click.approvalTtlSeconds);
  const none = (outcome: ClickOutcome) => ({ next: null, outcome });
  if (base.closedBefore !== null && click.plan.createdAt <= base.closedBefore)
    return none({ type: 'closed', decision: current });
  const holding = current !== null && holds(current, click.at) ? current : null;
  if (holding) {
    if (holding.status === 'awaiting' && click.action === 'reject') {
      const decision: Decision = {
        ...holding,
        status: 'rejected',
        closedBy: { userId: click.userId, at: click.at },
        updatedAt: click.at,
      };
      return {
        next: { ...base, closedBefore: click.at, current: decision },
        outcome: { type: 'rejected', decision },
      };
    }
    if (holding.status === 'awaiting' && click.action === 'approve' && holding.kind === click.plan.kind) {
      if (holding.approvals.some((a) => a.userId === click.userId))
        return none({ type: 'already-counted', decision: holding });
      const approvals = [...holding.approvals, { userId: click.userId, at: click.at }];
      const complete = approvals.length >= holding.required;
      const decision: Decision = {
        ...holding,
        approvals,
        status: complete ? 'queued' : 'awaiting',
        updatedAt: click.at,
      };
      return {
        next: { ...base, current: decision },
        outcome: { type: complete ? 'approved' : 'counted', decision },
      };
    }
    return none({ type: 'held', decision: holding });
  }
  if (click.at >= expiresAt) return none({ type: 'expired' });
  if (click.action === 'reject') return none({ type: 'nothing-to-reject', decision: current });
  const fresh: Decision = {
    number: base.count + 1,
    kind: click.plan.kind,
    planId: click.plan.id,
    diagnosisJobId: click.plan.diagnosisJobId,
    requestedBy: click.plan.requestedBy,
    required: click.required,
    approvals: [{ userId: click.userId, at: click.at }],
    closedBy: null,
    status: 'queued',
    openedAt: click.at,
    expiresAt,
    updatedAt: click.at,
    result: null,
    verification: null,
  };
  if (click.action === 'dismiss' || click.plan.kind === 'dismiss') {
    const decision: Decision = {
      ...fresh,
      kind: 'dismiss',
      approvals: [],
      closedBy: { userId: click.userId, at: click.at },
      status: 'dismissed',
    };
    return {
      next: { ...base, count: decision.number, closedBefore: click.at, current: decision },
      outcome: { type: 'dismissed', decision },
    };
  }
  const complete = fresh.approvals.length >= fresh.required;
  const decision: Decision = { ...fresh, status: complete ? 'queued' : 'awaiting' };
  return {
    next: { ...base, count: decision.number, current: decision },
    outcome: { type: complete ? 'approved' : 'counted', decision },
  };
}

/** The worker takes up decision `number`; null when it is no longer the object's live one. */
export function startRunning(state: ObjectState | null, number: number, at: string): ObjectState | null {
  const d = state?.current;
  if (!state || !d || d.number !== number || (d.status !== 'queued' && d.status !== 'running')) return null;
  if (d.status === 'running') return state;
  return { ...state, current: { ...d, status: 'running', updatedAt: at } };
}

/** Records what the action came to, which frees the object. */
export function finish(
  state: ObjectState | null,
  number: number,
  result: DecisionResult,
): ObjectState | null {
  const d = state?.current;
  if (!state || !d || d.number !== number || (d.status !== 'queued' && d.status !== 'running')) return null;
  const status: DecisionStatus =
    result.outcome === 'refused'
      ? 'refused'
      : result.outcome === 'failed'
        ? 'failed'
        : result.outcome === 'stopped'
          ? 'stopped'
          : 'finished';
  return { ...state, current: { ...d, status, result, updatedAt: result.at } };
}

/** Adds the measurement after the fix to the decision that made it, if it is still the latest. */
export function verified(
  state: ObjectState | null,
  number: number,
  verification: Verification,
): ObjectState | null {
  const d = state?.current;
  if (!state || !d || d.number !== number) return null;
  return { ...state, current: { ...d, verification, updatedAt: verification.at } };
}

/** Whether the object's live decision is a drain being carried out: the one a Stop is for. */
export function drainRunning(state: ObjectState | null): Decision | null {
  const d = state?.current;
  return d && d.kind === 'drain' && (d.status === 'queued' || d.status === 'running') ? d : null;
}

/** A drain that stopped with the node left cordoned: what Uncordon is offered for. */
export function leftCordoned(d: Decision | null): boolean {
  const drain = d?.result?.drain;
  return (
    d?.kind === 'drain' &&
    !!drain &&
    drain.cordoned &&
    !drain.nodeDeleted &&
    (drain.uncordon === null || drain.uncordon.outcome === 'failed')
  );
}

/** Records an Uncordon on decision `number`, if it is still the latest. */
export function uncordoned(
  state: ObjectState | null,
  number: number,
  uncordon: NonNullable<DrainFacts['uncordon']>,
): ObjectState | null {
  const d = state?.current;
  if (!state || !d || d.number !== number || !d.result?.drain) return null;
  const ok = uncordon.outcome !== 'failed';
  const drain = { ...d.result.drain, uncordon, cordoned: ok ? false : d.result.drain.cordoned };
  return { ...state, current: { ...d, result: { ...d.result, drain }, updatedAt: uncordon.at } };
}
