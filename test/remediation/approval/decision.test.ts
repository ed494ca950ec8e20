import { describe, expect, it } from '@jest/globals';
import {
  applyClick,
  finish,
  startRunning,
  verified,
  type Click,
  type ObjectState,
} from '../../../src/remediation/approval/decision.js';
import { mayApprove } from '../../../src/remediation/approval/policy.js';

const object = { clusterId: 'c-1', nodeId: 'machine-a' };
const T0 = '2026-11-25T06:00:00.000Z';
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();

const click = (over: Partial<Click> & { kind?: 'patch' | 'drain' | 'dismiss' }): Click => ({
  action: 'approve',
  userId: 'U1',
  at: at(1),
  plan: {
    id: `p-${over.kind ?? 'patch'}`,
    kind: over.kind ?? 'patch',
    createdAt: T0,
    diagnosisJobId: 'd1',
    requestedBy: 'U0',
  },
  required: 1,
  approvalTtlSeconds: 1800,
  ...over,
});

function run(state: ObjectState | null, c: Click) {
  const { next, outcome } = applyClick(state, object, c);
  return { state: next ?? state, outcome };
}

describe('one decision per object', () => {
  it('the first approval decides; a drain or a dismissal after it is told what holds', () => {
    const a = run(null, click({}));
    expect(a.outcome.type).toBe('approved');
    expect(a.state?.current).toMatchObject({ number: 1, status: 'queued', kind: 'patch' });
    expect(run(a.state, click({ kind: 'drain', userId: 'U2' })).outcome).toMatchObject({ type: 'held' });
    expect(run(a.state, click({ kind: 'dismiss', action: 'dismiss' })).outcome).toMatchObject({
      type: 'held',
    });
  });

  it('two approvals required: the same person counts once, a second person completes it', () => {
    const one = run(null, click({ required: 2 }));
    expect(one.outcome.type).toBe('counted');
    expect(run(one.state, click({ required: 2 })).outcome.type).toBe('already-counted');
    const two = run(one.state, click({ required: 2, userId: 'U2', at: at(2) }));
    expect(two.outcome.type).toBe('approved');
    expect(two.state?.current?.approvals.map((a) => a.userId)).toEqual(['U1', 'U2']);
  });

  it('a partial approval expires and frees the object; a late click is told it expired', () => {
    const one = run(null, click({ required: 2 }));
    expect(run(one.state, click({ required: 2, userId: 'U2', at: at(31) })).outcome.type).toBe('expired');
  });

  it('a rejection closes the request: the plans made before it are refused, a new diagnosis is not', () => {
    const one = run(null, click({ required: 2 }));
    const rejected = run(one.state, click({ action: 'reject', userId: 'U3', at: at(2) }));
    expect(rejected.outcome.type).toBe('rejected');
    expect(run(rejected.state, click({ userId: 'U2', at: at(3), required: 2 })).outcome.type).toBe('closed');
    const fresh = click({
      at: at(10),
      plan: { id: 'p2', kind: 'patch', createdAt: at(9), diagnosisJobId: 'd2', requestedBy: 'U0' },
    });
    expect(run(rejected.state, fresh).outcome.type).toBe('approved');
    expect(run(rejected.state, fresh).state?.current?.number).toBe(2);
  });

  it('a dismissal closes the older plans: an older copy of the message cannot approve after it', () => {
    const dismissed = run(null, click({ kind: 'dismiss', action: 'dismiss' }));
    expect(dismissed.outcome.type).toBe('dismissed');
    expect(run(dismissed.state, click({ at: at(2) })).outcome.type).toBe('closed');
  });

  it('once the action has finished (or failed, or was refused) the object is free for the next decision', () => {
    const a = run(null, click({}));
    const running = startRunning(a.state, 1, at(2))!;
    expect(running.current?.status).toBe('running');
    expect(run(running, click({ kind: 'drain', userId: 'U2' })).outcome.type).toBe('held');
    const done = finish(running, 1, {
      outcome: 'applied',
      detail: null,
      changed: [],
      resourceVersionBefore: '1',
      resourceVersionAfter: '2',
      diff: '+x',
      attempts: 1,
      at: at(3),
    })!;
    expect(done.current?.status).toBe('finished');
    const drain = run(done, click({ kind: 'drain', userId: 'U2', at: at(4) }));
    expect(drain.outcome.type).toBe('approved');
    expect(drain.state?.current).toMatchObject({ number: 2, kind: 'drain' });
    // The old decision's worker can no longer touch the object.
    expect(startRunning(drain.state, 1, at(5))).toBeNull();
    expect(
      verified(drain.state, 1, {
        stopped: true,
        writesPerMinute: 1,
        siblingWritesPerMinute: 1,
        wasWritesPerMinute: 900,
        detail: null,
        at: at(6),
      }),
    ).toBeNull();
  });

  it('a reject with nothing awaiting changes nothing', () => {
    expect(run(null, click({ action: 'reject' })).outcome.type).toBe('nothing-to-reject');
  });
});

describe('who may approve', () => {
  const approvers = new Set(['U0', 'U1']);
  it('deny by default, approvers only', () => {
    expect(
      mayApprove({ userId: 'U1', requestedBy: 'U0', approvers: new Set(), selfApproval: 'always' }),
    ).toEqual({ ok: false, reason: 'no-approvers' });
    expect(mayApprove({ userId: 'U9', requestedBy: 'U0', approvers, selfApproval: 'always' })).toEqual({
      ok: false,
      reason: 'not-approver',
    });
    expect(mayApprove({ userId: 'U1', requestedBy: 'U0', approvers, selfApproval: 'never' })).toEqual({
      ok: true,
    });
  });
  it('the requester: never; when alone only if nobody else could; always', () => {
    expect(mayApprove({ userId: 'U0', requestedBy: 'U0', approvers, selfApproval: 'never' }).ok).toBe(false);
    expect(mayApprove({ userId: 'U0', requestedBy: 'U0', approvers, selfApproval: 'when-alone' })).toEqual({
      ok: false,
      reason: 'self-approval',
    });
    expect(
      mayApprove({ userId: 'U0', requestedBy: 'U0', approvers: new Set(['U0']), selfApproval: 'when-alone' }),
    ).toEqual({ ok: true });
    expect(mayApprove({ userId: 'U0', requestedBy: 'U0', approvers, selfApproval: 'always' })).toEqual({
      ok: true,
    });
  });
});
