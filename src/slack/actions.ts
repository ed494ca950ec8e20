import type { Logger } from 'pino';
import { ALERT_REQUESTER } from '../alerts/incident.js';
import { z } from 'zod';
import type { AuditLog } from '../queue/audit-log.js';
import type { DecisionStore } from '../queue/decision-store.js';
import type { PlanStore, StoredPlan } from '../queue/plan-store.js';
import type { RemediationQueue } from '../queue/remediation-queue.js';
import type { AuditEntry } from '../remediation/approval/audit.js';
import {
  applyClick,
  type Click,
  type ClickOutcome,
  type FixKind,
  type ObjectRef,
} from '../remediation/approval/decision.js';
import { mayApprove, type ApprovalRefusal, type SelfApproval } from '../remediation/approval/policy.js';
import type { Metrics } from '../server/metrics.js';
import { approvalLabels } from './approval-labels.js';
import type { SlackMessage } from './render/blocks.js';
import { REJECT_ACTION } from './render/finding-actions.js';
import {
  renderAlreadyCounted,
  renderAlreadyDecided,
  renderApprovalCounted,
  renderApprovalExpired,
  renderApprovalRefused,
  renderApproved,
  renderDismissed,
  renderNotThisPlan,
  renderNothingToReject,
  renderPatchNotApprovable,
  renderPlanExpired,
  renderRegistrationCommand,
  renderRegistrationNotApprover,
  renderRegistrationUnavailable,
  renderRejected,
  renderRemediationOff,
  renderRequestClosed,
} from './render/replies.js';

export const ACTION_IDS = ['approve_patch', 'approve_drain', 'dismiss', REJECT_ACTION] as const;
export type ActionId = (typeof ACTION_IDS)[number];
/** Asks for the full registration command: answered to the clicker alone, never in the channel. */
export const SHOW_REGISTRATION = 'show_registration';

export interface ButtonClick {
  actionId: ActionId;
  value: string;
  userId: string;
}

export interface ApprovalSettings {
  enabled: boolean;
  selfApproval: SelfApproval;
  approvalsRequired: Record<FixKind, number>;
  approvalTtlSeconds: number;
}

export interface ActionDeps {
  plans: PlanStore;
  decisions: DecisionStore;
  remediation: RemediationQueue;
  audit: AuditLog;
  /** The approvers of a fix (of any fix for 'any'), groups resolved. */
  approvers: (kind: FixKind | 'any') => Promise<ReadonlySet<string>>;
  settings: ApprovalSettings;
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

export interface ActionReply {
  /** Shown only to the clicker. */
  ephemeral: SlackMessage | null;
  /** Posted in the report's thread, for everyone: the record of a decision. */
  thread: SlackMessage | null;
  /** The object whose messages are to be rebuilt from the stored state. */
  refresh: ObjectRef | null;
}

const KIND_OF_ACTION: Record<ActionId, 'patch' | 'drain' | 'dismiss' | null> = {
  approve_patch: 'patch',
  approve_drain: 'drain',
  dismiss: 'dismiss',
  [REJECT_ACTION]: null,
};

/**
 * Answers a click on a report button. Everything is read from the stores (the plan by its id, the
 * object's decisions), nothing from the message the click carries. A completed approval queues
 * the remediation job, whose id comes from the decision: however many clicks, one job.
 */
export async function answerClick(click: ButtonClick, deps: ActionDeps): Promise<ActionReply> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const reply = (
    ephemeral: SlackMessage | null,
    thread: SlackMessage | null = null,
    refresh: ObjectRef | null = null,
  ) => ({
    ephemeral,
    thread,
    refresh,
  });
  const plan = await deps.plans.get(click.value);
  const count = (outcome: string) => {
    deps.metrics?.actions.inc({ action: click.actionId, outcome });
    const approval = approvalLabels(click.actionId, plan?.kind ?? null, outcome);
    if (approval) deps.metrics?.approvals.inc({ ...approval });
  };
  const object: ObjectRef | null = plan
    ? { clusterId: plan.clusterId ?? '-', nodeId: plan.nodeId ?? plan.findingId }
    : null;
  const audit = async (event: AuditEntry['event'], detail: string, decision: number | null = null) => {
    const entry: AuditEntry = {
      at: now,
      event,
      slackUser: click.userId,
      kubernetesIdentity: null,
      clusterId: object?.clusterId ?? null,
      nodeId: object?.nodeId ?? null,
      kind: plan?.kind ?? null,
      decision,
      planId: click.value.slice(0, 64),
      detail,
    };
    await deps.audit.append(entry);
  };
  const refuse = async (outcome: string, why: string, message: SlackMessage) => {
    count(outcome);
    await audit('refusal', `${click.actionId}: ${why}`);
    return reply(message);
  };
  if (!plan || !object)
    return refuse('expired', 'no such plan (expired, deleted or forged)', renderPlanExpired());

  const wanted = KIND_OF_ACTION[click.actionId];
  if (wanted === 'patch' && (plan.kind !== 'patch' || plan.plan?.complete !== true))
    return refuse('incomplete', 'the plan is not a complete patch', renderPatchNotApprovable());
  if (wanted !== null && plan.kind !== wanted)
    return refuse('mismatch', `the plan is a ${plan.kind}`, renderNotThisPlan());

  const action: Click['action'] =
    click.actionId === REJECT_ACTION ? 'reject' : click.actionId === 'dismiss' ? 'dismiss' : 'approve';
  const fix: FixKind | 'any' = plan.kind === 'dismiss' ? 'any' : plan.kind;
  if (action === 'approve' && !deps.settings.enabled)
    return refuse('disabled', 'remediation is off', renderRemediationOff());
  const approvers = await deps.approvers(action === 'dismiss' ? 'any' : fix);
  const allowed: { ok: true } | { ok: false; reason: ApprovalRefusal } =
    action === 'approve'
      ? mayApprove({
          userId: click.userId,
          requestedBy: plan.requestedBy,
          approvers,
          selfApproval: deps.settings.selfApproval,
        })
      : approvers.size === 0
        ? { ok: false, reason: 'no-approvers' }
        : approvers.has(click.userId)
          ? { ok: true }
          : { ok: false, reason: 'not-approver' };
  if (!allowed.ok)
    return refuse(
      allowed.reason,
      allowed.reason.replace('-', ' '),
      renderApprovalRefused(allowed.reason, action === 'dismiss' ? 'any' : fix),
    );

  const { result: outcome } = await deps.decisions.update(object, (state) => {
    const { next, outcome } = applyClick(state, object, {
      action,
      userId: click.userId,
      at: now,
      plan: planRef(click.value, plan),
      required: plan.kind === 'dismiss' ? 1 : deps.settings.approvalsRequired[plan.kind],
      approvalTtlSeconds: deps.settings.approvalTtlSeconds,
    });
    return { next, result: outcome };
  });
  return answerOutcome(outcome, plan, object, now, deps, { count, audit, reply });
}

function planRef(id: string, plan: StoredPlan) {
  return {
    id,
    kind: plan.kind,
    createdAt: plan.createdAt,
    diagnosisJobId: plan.jobId,
    requestedBy: plan.requestedBy,
  };
}

async function answerOutcome(
  outcome: ClickOutcome,
  plan: StoredPlan,
  object: ObjectRef,
  now: string,
  deps: ActionDeps,
  h: {
    count: (o: string) => void;
    audit: (event: AuditEntry['event'], detail: string, decision?: number | null) => Promise<void>;
    reply: (e: SlackMessage | null, t?: SlackMessage | null, r?: ObjectRef | null) => ActionReply;
  },
): Promise<ActionReply> {
  h.count(outcome.type);
  switch (outcome.type) {
    case 'approved': {
      const d = outcome.decision;
      await deps.remediation.enqueue(object, d);
      await h.audit('approval', `${d.approvals.length} of ${d.required}: approved, queued`, d.number);
      deps.log.info({ object, decision: d.number, kind: d.kind }, 'fix approved');
      return h.reply(null, renderApproved(d, plan.target), object);
    }
    case 'counted': {
      const d = outcome.decision;
      await h.audit('approval', `${d.approvals.length} of ${d.required}`, d.number);
      return h.reply(renderApprovalCounted(d), null, object);
    }
    case 'already-counted':
      await h.audit('refusal', 'approved already by the same person', outcome.decision.number);
      return h.reply(renderAlreadyCounted(outcome.decision));
    case 'dismissed':
      await h.audit('dismissal', 'dismissed', outcome.decision.number);
      return h.reply(null, renderDismissed(outcome.decision.closedBy!.userId, plan.target), object);
    case 'rejected':
      await h.audit(
        'rejection',
        `rejected after ${outcome.decision.approvals.length} of ${outcome.decision.required}`,
        outcome.decision.number,
      );
      return h.reply(null, renderRejected(outcome.decision, plan.target), object);
    case 'held': {
      const d = outcome.decision;
      // A bot that died between recording the approval and queueing its job: queueing again is harmless.
      if (d.status === 'queued' && d.kind !== 'dismiss') await deps.remediation.enqueue(object, d);
      await h.audit('refusal', `the object holds decision #${d.number} (${d.kind}, ${d.status})`, d.number);
      return h.reply(renderAlreadyDecided(d, now), null, object);
    }
    case 'closed':
      await h.audit(
        'refusal',
        'the request was closed (dismissed or rejected)',
        outcome.decision?.number ?? null,
      );
      return h.reply(renderRequestClosed(outcome.decision, now), null, object);
    case 'expired':
      await h.audit('refusal', 'the time to approve has passed');
      return h.reply(renderApprovalExpired(plan.requestedBy === ALERT_REQUESTER));
    case 'nothing-to-reject':
      await h.audit('refusal', 'nothing awaits approval');
      return h.reply(renderNothingToReject());
  }
}

/** Reads the full registration command (token included) at the moment it is asked for. */
export type RegistrationReader = (
  clusterId: string,
  ref: { tokenName: string; roles: ('etcd' | 'controlplane' | 'worker')[] },
) => Promise<string | null>;

const registrationRefSchema = z.object({
  tokenName: z.string().min(1),
  roles: z.array(z.enum(['etcd', 'controlplane', 'worker'])),
});

export interface ShowRegistrationDeps {
  plans: PlanStore;
  isApprover: (userId: string) => Promise<boolean>;
  /** Absent where this process cannot read the local cluster. */
  readRegistration?: RegistrationReader;
  log: Logger;
  metrics?: Metrics;
}

/**
 * Answers "Show registration command". The plan names the token, never holds it; the command is
 * read now, for an approver, and goes back to them alone. Whatever fails points to Rancher's page.
 */
export async function answerShowRegistration(
  click: { value: string; userId: string },
  deps: ShowRegistrationDeps,
): Promise<SlackMessage> {
  const count = (outcome: string) => deps.metrics?.actions.inc({ action: SHOW_REGISTRATION, outcome });
  const plan = await deps.plans.get(click.value);
  if (!plan || plan.kind !== 'drain' || !plan.clusterId) {
    count('expired');
    return renderRegistrationUnavailable(plan?.clusterId ?? null, "this report's plans have expired");
  }
  if (!(await deps.isApprover(click.userId))) {
    count('refused');
    return renderRegistrationNotApprover(plan.clusterId);
  }
  const ref = registrationRefSchema.safeParse(plan.plan?.registration);
  if (!ref.success) {
    count('unknown');
    return renderRegistrationUnavailable(plan.clusterId, 'the diagnosis found no registration token');
  }
  if (!deps.readRegistration) {
    count('unavailable');
    return renderRegistrationUnavailable(
      plan.clusterId,
      'this bot has no access to the Rancher local cluster',
    );
  }
  let command: string | null;
  try {
    command = await deps.readRegistration(plan.clusterId, ref.data);
  } catch (err) {
    // The error names what failed (a status, a timeout); a command is never part of it.
    deps.log.warn({ clusterId: plan.clusterId, err: String(err) }, 'could not read the registration token');
    count('error');
    return renderRegistrationUnavailable(plan.clusterId, 'reading it from the local cluster failed');
  }
  if (!command) {
    count('gone');
    return renderRegistrationUnavailable(
      plan.clusterId,
      `the token ${ref.data.tokenName} has no command now`,
    );
  }
  count('shown');
  deps.log.info(
    { planId: click.value, user: click.userId, clusterId: plan.clusterId },
    'registration command shown',
  );
  return renderRegistrationCommand(plan.clusterId, plan.target, command);
}
