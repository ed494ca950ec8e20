import type { Logger } from 'pino';
import type { AuditLog } from '../queue/audit-log.js';
import type { DecisionStore } from '../queue/decision-store.js';
import type { PlanStore } from '../queue/plan-store.js';
import type { RemediationQueue } from '../queue/remediation-queue.js';
import { decisionId, drainRunning, leftCordoned, type ObjectRef } from '../remediation/approval/decision.js';
import type { Metrics } from '../server/metrics.js';
import type { ActionReply } from './actions.js';
import {
  renderNoDrainRunning,
  renderNothingToUncordon,
  renderStopAsked,
  renderUncordonQueued,
} from './render/drain-replies.js';
import { STOP_DRAIN_ACTION, UNCORDON_ACTION } from './render/finding-actions.js';
import { renderApprovalRefused, renderPlanExpired } from './render/replies.js';

export const DRAIN_CONTROL_IDS = [STOP_DRAIN_ACTION, UNCORDON_ACTION] as const;
export type DrainControlId = (typeof DRAIN_CONTROL_IDS)[number];

export const isDrainControl = (id: string): id is DrainControlId =>
  (DRAIN_CONTROL_IDS as readonly string[]).includes(id);

export interface DrainControlDeps {
  plans: PlanStore;
  decisions: DecisionStore;
  remediation: RemediationQueue;
  audit: AuditLog;
  /** The drain's approvers, groups resolved. */
  approvers: () => Promise<ReadonlySet<string>>;
  /** Writes the Stop where the running drain reads it (its journal). */
  requestStop: (decisionId: string, stop: { by: string; at: string }) => Promise<void>;
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

/**
 * Stop (a drain being carried out) and Uncordon (a node a stopped drain left cordoned): both for
 * the drain's approvers, neither needing a second approval: each only brings the node back
 * towards where it was.
 */
export async function answerDrainControl(
  click: { actionId: DrainControlId; value: string; userId: string },
  deps: DrainControlDeps,
): Promise<ActionReply> {
  const count = (outcome: string) => deps.metrics?.actions.inc({ action: click.actionId, outcome });
  const now = (deps.now?.() ?? new Date()).toISOString();
  const plan = await deps.plans.get(click.value);
  const object: ObjectRef | null =
    plan?.kind === 'drain' && plan.clusterId && plan.nodeId
      ? { clusterId: plan.clusterId, nodeId: plan.nodeId }
      : null;
  const audit = (event: 'refusal' | 'execution' | 'request', detail: string, decision: number | null) =>
    deps.audit.append({
      at: now,
      event,
      slackUser: click.userId,
      kubernetesIdentity: null,
      clusterId: object?.clusterId ?? null,
      nodeId: object?.nodeId ?? null,
      kind: 'drain',
      decision,
      planId: click.value.slice(0, 64),
      detail,
    });
  const what = click.actionId === STOP_DRAIN_ACTION ? 'stop' : 'uncordon';
  if (!plan || !object) {
    count('expired');
    await audit('refusal', `${what}: no such drain plan`, null);
    return { ephemeral: renderPlanExpired(), thread: null, refresh: null };
  }
  const approvers = await deps.approvers();
  if (!approvers.has(click.userId)) {
    const reason = approvers.size === 0 ? 'no-approvers' : 'not-approver';
    count(reason);
    await audit('refusal', `${what}: ${reason.replace('-', ' ')}`, null);
    return { ephemeral: renderApprovalRefused(reason, 'drain'), thread: null, refresh: null };
  }
  const state = await deps.decisions.get(object);
  if (click.actionId === STOP_DRAIN_ACTION) {
    const d = drainRunning(state);
    if (!d) {
      count('nothing-running');
      await audit('refusal', 'stop: no drain is running', state?.current?.number ?? null);
      return { ephemeral: renderNoDrainRunning(), thread: null, refresh: object };
    }
    await deps.requestStop(decisionId(object, d.number), { by: click.userId, at: now });
    count('stop');
    await audit('execution', 'stop asked: the drain stops after its current step', d.number);
    deps.log.info({ object, decision: d.number, user: click.userId }, 'drain stop asked');
    return { ephemeral: null, thread: renderStopAsked(click.userId, plan.target), refresh: object };
  }
  const d = state?.current ?? null;
  if (!d || !leftCordoned(d)) {
    count('nothing-cordoned');
    await audit('refusal', 'uncordon: no stopped drain left the node cordoned', d?.number ?? null);
    return { ephemeral: renderNothingToUncordon(), thread: null, refresh: object };
  }
  await deps.remediation.enqueueUncordon(object, d, click.userId, now);
  count('uncordon');
  await audit('request', 'uncordon asked', d.number);
  return { ephemeral: null, thread: renderUncordonQueued(click.userId, plan.target), refresh: null };
}
