import { describe, expect, it } from '@jest/globals';
import { fixLabels } from '../../src/queue/remediation-worker.js';
import { approvalLabels } from '../../src/slack/approval-labels.js';

describe("fixes_total's labels", () => {
  it('names what ended each fix; a refusal is stale when the object changed since the diagnosis', () => {
    const applied = {
      outcome: 'applied' as const,
      resourceVersionBefore: '1',
      resourceVersionAfter: '2',
      before: {},
      patch: {},
      diff: '',
      attempts: 1,
    };
    expect(fixLabels('patch', applied)).toEqual({ fix: 'patch', outcome: 'applied' });
    expect(fixLabels('patch', { outcome: 'failed', message: 'x', cause: 'dry-run-refused' })).toEqual({
      fix: 'patch',
      outcome: 'failed',
      reason: 'dry-run-refused',
    });
    expect(fixLabels('patch', { outcome: 'failed', message: 'no answer' })).toEqual({
      fix: 'patch',
      outcome: 'failed',
      reason: 'error',
    });
    expect(fixLabels('patch', { outcome: 'refused', reason: 'changed', changed: ['addresses'] })).toEqual({
      fix: 'patch',
      outcome: 'refused',
      reason: 'stale',
    });
    expect(fixLabels('patch', { outcome: 'refused', reason: 'a node pool node' })).toEqual({
      fix: 'patch',
      outcome: 'refused',
      reason: 'not-eligible',
    });
    const stopped = {
      outcome: 'stopped' as const,
      node: 'n',
      reason: 'stop' as const,
      stoppedBy: 'U1',
      cordoned: true,
      evicted: [],
      blocked: [],
      terminating: [],
    };
    expect(fixLabels('drain', stopped)).toEqual({ fix: 'drain', outcome: 'stopped' });
  });
});

describe("approvals_total's labels", () => {
  it('Approve and Reject clicks only, the fix from the button or the plan', () => {
    expect(approvalLabels('approve_drain', 'drain', 'approved')).toEqual({
      fix: 'drain',
      outcome: 'approved',
    });
    expect(approvalLabels('reject', 'patch', 'rejected')).toEqual({ fix: 'patch', outcome: 'rejected' });
    expect(approvalLabels('reject', null, 'expired')).toBeNull();
    expect(approvalLabels('dismiss', 'dismiss', 'dismissed')).toBeNull();
    // No plan (expired, forged): the button says which fix it was for.
    expect(approvalLabels('approve_patch', null, 'expired')).toEqual({
      fix: 'patch',
      outcome: 'refused',
      reason: 'expired',
    });
    expect(approvalLabels('approve_patch', 'patch', 'held')).toMatchObject({ reason: 'stale' });
    expect(approvalLabels('approve_patch', 'patch', 'incomplete')).toMatchObject({
      reason: 'not-approvable',
    });
  });
});
