import type { ObjectRef, ObjectState } from '../remediation/approval/decision.js';

/** What happened to a decision's action, as the worker tells it. */
export type RemediationEvent = 'running' | 'result' | 'verified' | 'uncordoned';

/**
 * Where a remediation job's progress goes: the worker calls it and knows nothing of who is told.
 * Slack's implementation rebuilds every message showing the object and answers in the thread.
 * It never rejects: telling nobody must not fail the fix.
 */
export interface RemediationReporter {
  changed(object: ObjectRef, state: ObjectState, event: RemediationEvent): Promise<void>;
}
