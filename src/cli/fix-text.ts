import type { PatchPlan } from '../diagnosis/types.js';
import type { PatchOutcome } from '../remediation/apply/patch.js';

/** The plan as the terminal shows it before asking: where each value comes from, and the diff. */
export function describePlan(plan: PatchPlan): string {
  const lines = [`Patch plan for nodes.management.cattle.io ${plan.clusterId}/${plan.nodeId}`, ''];
  if (!plan.complete) {
    lines.push('The plan is incomplete; these values could not be derived:');
    for (const u of plan.underivable)
      lines.push(`  ${u.field}: ${u.reason}${u.fillIn ? ` (fill in: ${u.fillIn})` : ''}`);
    lines.push('');
  }
  lines.push('Values and where they come from:');
  for (const [field, source] of Object.entries(plan.derivedFrom)) lines.push(`  ${field} ← ${source}`);
  lines.push('', plan.diff.trimEnd(), '');
  return `${lines.join('\n')}\n`;
}

export function describeOutcome(outcome: PatchOutcome): string {
  const name = `${outcome.clusterId}/${outcome.nodeId}`;
  switch (outcome.kind) {
    case 'applied':
      return [
        `Applied to ${name}: resourceVersion ${outcome.resourceVersionBefore} → ${outcome.resourceVersionAfter}, ${outcome.attempts === 1 ? 'first try' : `${outcome.attempts} tries (the loop wrote in between)`}.`,
        'Diff applied:',
        outcome.diff.trimEnd(),
        '',
      ].join('\n');
    case 'already-applied':
      return `Already applied: ${name} has the planned status.rkeNode and spec.customConfig (resourceVersion ${outcome.resourceVersion}); nothing written.\n`;
    case 'dry-run-passed':
      return `Dry run passed: the apiserver accepts the patch of ${name} at resourceVersion ${outcome.resourceVersion}; nothing written (--dry-run).\n`;
    case 'refused':
      return `Refused: ${outcome.reason}. Nothing written.\n`;
    case 'failed':
      return `Failed: ${outcome.message}\n`;
  }
}
