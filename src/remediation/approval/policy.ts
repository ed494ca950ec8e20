/**
 * Who may approve a fix. Deny by default: no approvers configured means nobody may. The person who
 * asked for the diagnosis approves its fix only as the settings allow.
 */

/** never; only when no other approver exists; always. */
export type SelfApproval = 'never' | 'when-alone' | 'always';

export type ApprovalRefusal = 'no-approvers' | 'not-approver' | 'self-approval';

export interface ApprovalAsk {
  userId: string;
  /** Who asked for the diagnosis that proposed the fix; null when not known. */
  requestedBy: string | null;
  /** The fix's approvers with user groups resolved to their members. */
  approvers: ReadonlySet<string>;
  selfApproval: SelfApproval;
}

export function mayApprove(ask: ApprovalAsk): { ok: true } | { ok: false; reason: ApprovalRefusal } {
  if (ask.approvers.size === 0) return { ok: false, reason: 'no-approvers' };
  if (!ask.approvers.has(ask.userId)) return { ok: false, reason: 'not-approver' };
  if (ask.requestedBy !== ask.userId || ask.selfApproval === 'always') return { ok: true };
  if (ask.selfApproval === 'never') return { ok: false, reason: 'self-approval' };
  const someoneElse = [...ask.approvers].some((u) => u !== ask.userId);
  return someoneElse ? { ok: false, reason: 'self-approval' } : { ok: true };
}
