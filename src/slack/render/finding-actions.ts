import { leftCordoned, type FixKind } from '../../remediation/approval/decision.js';
import type { FindingPlanIds } from '../../queue/job-reporter.js';
import type { FindingFacts } from '../../report/model.js';
import { PLAN_WORDS } from '../../report/vocabulary.js';
import { actions, context, type Block, type ButtonSpec } from './blocks.js';
import { buttonState, decisionLines, NO_DECISIONS, type ReportDecisions } from './decision-view.js';
import { esc } from './limits.js';

export const REJECT_ACTION = 'reject';
/** Stops a drain being carried out, after its current step (approvers of the drain). */
export const STOP_DRAIN_ACTION = 'stop_drain';
/** Makes the node a stopped drain left cordoned schedulable again (approvers of the drain). */
export const UNCORDON_ACTION = 'uncordon';

/**
 * The row of buttons under one finding of a report (and the note that says why a fix has no
 * button), or, once something is decided about its object, the decision in their place. Its block
 * id, `finding-<index>`, names the row.
 */
export function findingActions(
  f: FindingFacts,
  index: number,
  plans: FindingPlanIds,
  decisions: ReportDecisions = NO_DECISIONS,
): Block[] {
  const blocks: Block[] = [];
  const { settings, now } = decisions;
  const state = buttonState(decisions.byFinding[f.id] ?? null, decisions.reportMadeAt, now);
  // Plain text: actions() escapes confirm texts.
  const target = `${f.subject} in ${f.cluster.name ?? f.cluster.id ?? 'the cluster'}`;
  if (state.type === 'busy' || state.type === 'closed') {
    blocks.push(context(...decisionLines(state.decision, now)));
    if (state.type === 'busy' && state.decision.kind === 'drain')
      blocks.push(
        actions(`finding-${index}`, [
          {
            text: 'Stop',
            actionId: STOP_DRAIN_ACTION,
            value: state.decision.planId,
            style: 'danger',
            confirm: {
              title: 'Stop the drain?',
              text: `The drain of ${target} stops after its current step. The node is left cordoned; pods already evicted are not brought back.`,
              confirm: 'Stop',
              deny: 'Let it run',
            },
          },
        ]),
      );
    return blocks;
  }
  if (state.type === 'awaiting') {
    const d = state.decision;
    const planId = d.kind === 'dismiss' ? null : plans[d.kind];
    blocks.push(context(...decisionLines(d, now)));
    const buttons: ButtonSpec[] = [];
    if (planId && d.kind !== 'dismiss') buttons.push(approveButton(d.kind, planId, target, d.required));
    buttons.push({
      text: 'Reject',
      actionId: REJECT_ACTION,
      value: planId ?? plans.dismiss,
      confirm: {
        title: `Reject the ${d.kind}?`,
        text: `Closes this request for ${target}: nothing is written, and the approvals given are set aside. A new diagnosis can propose the fix again.`,
        confirm: 'Reject',
        deny: 'Cancel',
      },
    });
    blocks.push(actions(`finding-${index}`, buttons));
    return blocks;
  }
  if (state.last) blocks.push(context(...decisionLines(state.last, now)));
  const buttons: ButtonSpec[] = [];
  const notes: string[] = [];
  // An incomplete patch is shown for reading, never offered for approval.
  // A fix in place is not offered again; once the loop is measured stopped, neither fix is.
  const last = state.last;
  const inPlace = last?.result?.outcome === 'applied' || last?.result?.outcome === 'already-applied';
  const stopped = inPlace && last?.verification?.stopped === true;
  const patchOffered =
    plans.patch && f.patch?.complete !== false && !f.patch?.ineligible && !(inPlace && last?.kind === 'patch')
      ? plans.patch
      : null;
  const offered: [FixKind, string | null][] = stopped
    ? []
    : [
        ['patch', patchOffered],
        ['drain', plans.drain && f.drainOffer.offered ? plans.drain : null],
      ];
  const cordoned = leftCordoned(last);
  for (const [kind, planId] of offered) {
    if (!planId) continue;
    if (!settings.enabled) continue;
    if (!settings.approvers[kind]) {
      notes.push(
        `No *${PLAN_WORDS[kind].button}*: no approvers are configured for ${PLAN_WORDS[kind].approval}, so nobody can approve it here.`,
      );
      continue;
    }
    const recommended = f.fixAdvice?.fix === kind;
    const retry = kind === 'drain' && cordoned;
    buttons.push(approveButton(kind, planId, target, settings.approvalsRequired[kind], recommended, retry));
  }
  if (cordoned && settings.enabled && last)
    buttons.push({
      text: 'Uncordon',
      actionId: UNCORDON_ACTION,
      value: last.planId,
      confirm: {
        title: 'Uncordon the node?',
        text: `Makes the node of ${target} schedulable again, as it was before the drain. Pods already evicted stay where they went.`,
        confirm: 'Uncordon',
        deny: 'Cancel',
      },
    });
  if (!settings.enabled && (plans.patch || plans.drain))
    notes.push(
      'Fixes are not carried out by this bot (remediation is off): apply them by hand, as the thread shows.',
    );
  buttons.push({
    text: 'Dismiss',
    actionId: 'dismiss',
    value: plans.dismiss,
    confirm: {
      title: 'Dismiss this finding?',
      text: `Nothing is changed in ${target}; the buttons go away, here and in every report showing this node.`,
      confirm: 'Dismiss',
      deny: 'Keep',
    },
  });
  blocks.push(actions(`finding-${index}`, buttons));
  // Why a fix has no button, right under the buttons.
  if (f.patch?.ineligible) {
    notes.push(`No *Approve patch*: ${esc(f.patch.ineligible)}.`);
  } else if (f.patch && !f.patch.complete) {
    const fields = f.patch.underivable.map((u) => `\`${esc(u.field)}\``).join(', ');
    notes.push(
      `No *Approve patch*: the patch is incomplete, ${fields || 'some values'} could not be derived (see the thread).`,
    );
  }
  if (plans.drain && !f.drainOffer.offered && f.drainOffer.why)
    notes.push(`No *Approve drain and remove*: ${esc(f.drainOffer.why)}.`);
  if (notes.length) blocks.push(context(notes.join('\n')));
  return blocks;
}

function approveButton(
  kind: FixKind,
  planId: string,
  target: string,
  required: number,
  recommended = true,
  retry = false,
): ButtonSpec {
  const two = required > 1 ? ` Needs ${required} approvers.` : '';
  if (kind === 'patch') {
    return {
      text: PLAN_WORDS.patch.button,
      actionId: 'approve_patch',
      value: planId,
      // The recommended fix stands out; the drain is red whatever is advised.
      ...(recommended ? { style: 'primary' as const } : {}),
      confirm: {
        title: 'Approve the patch?',
        text: `Applies the patch to ${target} after reading it again and a server-side dry run. If what the patch is built from (addresses, hostname, roles) changed, nothing is written.${two}`,
        confirm: PLAN_WORDS.patch.button,
        deny: 'Cancel',
      },
    };
  }
  return {
    text: retry ? 'Retry drain' : PLAN_WORDS.drain.button,
    actionId: 'approve_drain',
    value: planId,
    style: 'danger',
    confirm: {
      title: retry ? 'Retry the drain?' : 'Approve drain and remove?',
      text: `Cordons the node of ${target}, evicts its pods as the plan lists them (DaemonSet and mirror pods stay; a PodDisruptionBudget is waited for, up to DRAIN_TIMEOUT), then deletes the Kubernetes node, checking it again before each step. The host must then be cleaned and registered again by hand; the thread says how.${two}`,
      confirm: retry ? 'Retry drain' : PLAN_WORDS.drain.button,
      deny: 'Cancel',
      style: 'danger',
    },
  };
}
