import type { DrainPlan } from '../../diagnosis/types.js';
import type { Decision } from '../../remediation/approval/decision.js';
import type { SlackMessage } from './blocks.js';
import { renderDrainResult, renderUncordonResult } from './drain-replies.js';
import { renderRemediationResult, renderVerification } from './replies.js';

/**
 * A step of a fix, as a thread reply: the same words in the thread of the report it was approved
 * in and in the thread of an alert showing the object.
 */
export function renderRemediationStep(
  step: 'result' | 'verified' | 'uncordoned',
  d: Decision,
  target: string,
  drainPlan: DrainPlan | null,
  now: string,
): SlackMessage {
  if (step === 'verified') return renderVerification(d, target);
  if (step === 'uncordoned') return renderUncordonResult(d, target);
  return d.kind === 'drain'
    ? renderDrainResult(d, target, drainPlan, now)
    : renderRemediationResult(d, target, now);
}
