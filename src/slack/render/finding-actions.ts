import type { FindingPlanIds } from '../../queue/job-reporter.js';
import type { FindingFacts } from '../../report/model.js';
import { PLAN_WORDS } from '../../report/vocabulary.js';
import { actions, context, type Block, type ButtonSpec } from './blocks.js';
import { esc } from './limits.js';

/**
 * The row of buttons under one finding of a report (and the note that says why a fix has no
 * button). Its block id, `finding-<index>`, is how a decision finds the row to replace.
 */
export function findingActions(f: FindingFacts, index: number, plans: FindingPlanIds): Block[] {
  const blocks: Block[] = [];
  // Plain text: actions() escapes confirm texts.
  const target = `${f.subject} in ${f.cluster.name ?? f.cluster.id ?? 'the cluster'}`;
  const buttons: ButtonSpec[] = [];
  // An incomplete patch is shown for reading, never offered for approval.
  // Until fixes are carried out, a click records a decision and nothing else: the dialogs say so.
  if (plans.patch && f.patch?.complete !== false && !f.patch?.ineligible) {
    buttons.push({
      text: PLAN_WORDS.patch.button,
      actionId: 'approve_patch',
      value: plans.patch,
      // The recommended fix is the one that stands out; the drain is red whatever is advised.
      ...(f.fixAdvice?.fix !== 'drain' ? { style: 'primary' as const } : {}),
      confirm: {
        title: 'Approve the patch?',
        text: `Records your approval of the patch for ${target}. Nothing is written to the cluster: this version does not apply fixes yet, so the patch is applied by hand, as the report shows.`,
        confirm: PLAN_WORDS.patch.button,
        deny: 'Cancel',
      },
    });
  }
  if (plans.drain && f.drainOffer.offered) {
    buttons.push({
      text: PLAN_WORDS.drain.button,
      actionId: 'approve_drain',
      value: plans.drain,
      style: 'danger' as const,
      confirm: {
        title: 'Approve drain and remove?',
        text: `Records your approval of draining and removing the node of ${target}. Nothing is cordoned, drained or deleted: this version does not carry out fixes yet, so the steps are run by hand, as the report shows.`,
        confirm: PLAN_WORDS.drain.button,
        deny: 'Cancel',
        style: 'danger',
      },
    });
  }
  buttons.push({
    text: 'Dismiss',
    actionId: 'dismiss',
    value: plans.dismiss,
    confirm: {
      title: 'Dismiss this finding?',
      text: `Nothing is changed in ${target}; the buttons go away.`,
      confirm: 'Dismiss',
      deny: 'Keep',
    },
  });
  blocks.push(actions(`finding-${index}`, buttons));
  // Why a fix has no button, right under the buttons.
  const missing: string[] = [];
  if (f.patch?.ineligible) {
    missing.push(`No *Approve patch*: ${esc(f.patch.ineligible)}.`);
  } else if (f.patch && !f.patch.complete) {
    const fields = f.patch.underivable.map((u) => `\`${esc(u.field)}\``).join(', ');
    missing.push(
      `No *Approve patch*: the patch is incomplete, ${fields || 'some values'} could not be derived (see the thread).`,
    );
  }
  if (plans.drain && !f.drainOffer.offered && f.drainOffer.why)
    missing.push(`No *Approve drain and remove*: ${esc(f.drainOffer.why)}.`);
  if (missing.length) blocks.push(context(missing.join('\n')));
  return blocks;
}
