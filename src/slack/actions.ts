import type { Logger } from 'pino';
import { z } from 'zod';
import type { PlanStore } from '../queue/plan-store.js';
import type { Metrics } from '../server/metrics.js';
import type { SlackMessage } from './render/blocks.js';
import {
  renderApprovalRecorded,
  renderDismissed,
  renderNotApprover,
  renderPatchNotApprovable,
  renderPlanExpired,
  renderRegistrationCommand,
  renderRegistrationNotApprover,
  renderRegistrationUnavailable,
} from './render/replies.js';

export const ACTION_IDS = ['approve_patch', 'approve_drain', 'dismiss'] as const;
export type ActionId = (typeof ACTION_IDS)[number];
/** Asks for the full registration command: answered to the clicker alone, never in the channel. */
export const SHOW_REGISTRATION = 'show_registration';

export interface ButtonClick {
  actionId: ActionId;
  value: string;
  userId: string;
}

export interface ActionDeps {
  plans: PlanStore;
  /** True when the user is an approver (directly or through a user group). */
  isApprover: (userId: string) => Promise<boolean>;
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

export interface ActionReply {
  /** Shown only to the clicker. */
  ephemeral: SlackMessage | null;
  /** Posted in the report's thread, for everyone: the record of a decision. */
  thread: SlackMessage | null;
  /** True when the report's buttons for this finding should go (decided). */
  closeButtons: string | null;
}

/**
 * Answers a click on a report button. Approving records the decision only: nothing here writes to
 * a cluster, and the reply says so rather than pretend.
 */
export async function answerClick(click: ButtonClick, deps: ActionDeps): Promise<ActionReply> {
  const count = (outcome: string) => deps.metrics?.actions.inc({ action: click.actionId, outcome });
  const plan = await deps.plans.get(click.value);
  if (!plan) {
    count('expired');
    return { ephemeral: renderPlanExpired(), thread: null, closeButtons: null };
  }
  if (click.actionId === 'approve_patch' && (plan.kind !== 'patch' || plan.plan?.complete !== true)) {
    // Buttons are never offered for an incomplete patch; a forged or stale click is refused too.
    count('incomplete');
    return { ephemeral: renderPatchNotApprovable(), thread: null, closeButtons: null };
  }
  if (!(await deps.isApprover(click.userId))) {
    count('refused');
    return { ephemeral: renderNotApprover(), thread: null, closeButtons: null };
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  const wanted = click.actionId === 'dismiss' ? 'dismissed' : 'approved';
  const { recorded, decision } = await deps.plans.decide(click.value, {
    decision: wanted,
    userId: click.userId,
    at,
  });
  if (!recorded) {
    count('repeat');
    const earlier = `Already ${decision.decision} by <@${decision.userId}> at ${decision.at}.`;
    return {
      ephemeral: { text: earlier, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: earlier } }] },
      thread: null,
      closeButtons: null,
    };
  }
  count(wanted);
  deps.log.info(
    { planId: click.value, kind: plan.kind, user: click.userId, target: plan.target },
    `plan ${wanted}`,
  );
  if (click.actionId === 'dismiss') {
    return {
      ephemeral: null,
      thread: renderDismissed(click.userId, plan.target),
      closeButtons: `Dismissed by <@${click.userId}> at ${at}`,
    };
  }
  const kind = click.actionId === 'approve_patch' ? 'patch' : 'drain';
  return {
    ephemeral: null,
    thread: renderApprovalRecorded(kind, click.userId, plan.target, at),
    closeButtons: `${kind === 'patch' ? 'Patch' : 'Drain and remove'} approved by <@${click.userId}> at ${at}: recorded, not applied`,
  };
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
