import type { Logger } from 'pino';
import type { PlanStore } from '../queue/plan-store.js';
import type { Metrics } from '../server/metrics.js';
import type { SlackMessage } from './render/blocks.js';
import {
  renderApprovalRecorded,
  renderDismissed,
  renderNotApprover,
  renderPatchNotApprovable,
  renderPlanExpired,
} from './render/replies.js';

export const ACTION_IDS = ['approve_patch', 'approve_drain', 'dismiss'] as const;
export type ActionId = (typeof ACTION_IDS)[number];

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
 * Answers a click on a report button. Approving records the decision only: carrying out fixes is
 * the remediation issue's work, and the reply says so rather than pretend.
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
