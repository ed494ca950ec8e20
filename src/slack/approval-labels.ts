import type { FixKind } from '../remediation/approval/decision.js';
import { REJECT_ACTION } from './render/finding-actions.js';

export interface ApprovalLabels {
  fix: FixKind;
  outcome: 'counted' | 'approved' | 'rejected' | 'refused';
  reason?: string;
}

/**
 * Refusals a platform team tells apart: who clicked (not-approver, no-approvers, self-approval),
 * when (expired: the plan or the time to approve ran out), and what the button stood for (stale:
 * the object holds another decision, or the request was closed).
 */
const REFUSAL_REASON: Record<string, string> = {
  'not-approver': 'not-approver',
  'no-approvers': 'no-approvers',
  'self-approval': 'self-approval',
  disabled: 'disabled',
  expired: 'expired',
  held: 'stale',
  closed: 'stale',
  mismatch: 'stale',
  'nothing-to-reject': 'stale',
  incomplete: 'not-approvable',
  'already-counted': 'already-counted',
};

/**
 * The approvals_total labels of what a click on Approve or Reject came to (the outcome names of
 * button_clicks_total); null for the other buttons and for a Reject of nothing known.
 */
export function approvalLabels(
  actionId: string,
  planKind: string | null,
  outcome: string,
): ApprovalLabels | null {
  const fix: FixKind | null =
    actionId === 'approve_patch'
      ? 'patch'
      : actionId === 'approve_drain'
        ? 'drain'
        : actionId === REJECT_ACTION && (planKind === 'patch' || planKind === 'drain')
          ? planKind
          : null;
  if (!fix) return null;
  if (outcome === 'counted' || outcome === 'approved' || outcome === 'rejected') return { fix, outcome };
  return { fix, outcome: 'refused', reason: REFUSAL_REASON[outcome] ?? outcome };
}
