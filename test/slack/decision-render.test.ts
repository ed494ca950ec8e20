import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decision, ObjectState } from '../../src/remediation/approval/decision.js';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { NO_DECISIONS, type ReportDecisions } from '../../src/slack/render/decision-view.js';
import { renderReport } from '../../src/slack/render/report.js';
import {
  renderAlreadyDecided,
  renderApprovalCounted,
  renderApprovalExpired,
  renderApprovalRefused,
  renderApproved,
  renderAudit,
  renderRemediationOff,
  renderRemediationResult,
  renderVerification,
} from '../../src/slack/render/replies.js';
import { expectMessageGolden } from '../support/golden.js';
import { slackLimitViolations } from '../support/slack-limits.js';
import { blocksText } from '../support/slack-api.js';
import { job, reportWithFinding } from './fixtures.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');
const plans = {
  'c-dql6k/machine-h46dc': { patch: 'planPATCH0001', drain: 'planDRAIN0001', dismiss: 'planDISMISS01' },
};
const FINDING = 'c-dql6k/machine-h46dc';
const MADE = reportWithFinding.finishedAt;
const NOW = '2026-11-25T06:10:00.000Z';

function golden(name: string, msg: SlackMessage): void {
  expect(slackLimitViolations(msg)).toEqual([]);
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg);
}

const decision = (over: Partial<Decision>): Decision => ({
  number: 1,
  kind: 'patch',
  planId: 'planPATCH0001',
  diagnosisJobId: job.jobId,
  requestedBy: 'U0ALICE',
  required: 1,
  approvals: [{ userId: 'U0BOB', at: '2026-11-25T06:05:00.000Z' }],
  closedBy: null,
  status: 'queued',
  openedAt: '2026-11-25T06:05:00.000Z',
  expiresAt: '2026-11-25T06:30:09.000Z',
  updatedAt: '2026-11-25T06:05:00.000Z',
  result: null,
  verification: null,
  ...over,
});

const applied: Decision['result'] = {
  outcome: 'applied',
  detail: null,
  changed: [],
  resourceVersionBefore: '88213',
  resourceVersionAfter: '88240',
  diff: '+ status.rkeNode: {...}',
  attempts: 2,
  at: '2026-11-25T06:05:03.000Z',
};

function withDecision(d: Decision | null, over: Partial<ReportDecisions> = {}): ReportDecisions {
  const state: ObjectState | null = d
    ? {
        object: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
        count: d.number,
        closedBefore: d.status === 'dismissed' || d.status === 'rejected' ? d.updatedAt : null,
        current: d,
      }
    : null;
  return { ...NO_DECISIONS, byFinding: { [FINDING]: state }, reportMadeAt: MADE, now: NOW, ...over };
}

const buttonsOf = (msg: SlackMessage) =>
  (
    msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'finding-0') as
      { elements: { action_id: string }[] } | undefined
  )?.elements.map((e) => e.action_id) ?? [];

describe('the report while a fix is decided', () => {
  it('remediation off: the plans, no approve buttons, and why', () => {
    const msg = renderReport(job, reportWithFinding, plans, {
      ...withDecision(null),
      settings: { ...NO_DECISIONS.settings, enabled: false },
    });
    expect(buttonsOf(msg)).toEqual(['dismiss']);
    expect((msg.thread ?? []).map((r) => blocksText(r.blocks)).join('\n')).toContain(
      '*Patch the node object*',
    );
    expect(blocksText(msg.blocks)).toContain('remediation is off');
    golden('report-remediation-off', msg);
  });

  it('no approvers for the drain: its button is replaced by a note saying so', () => {
    const msg = renderReport(job, reportWithFinding, plans, {
      ...withDecision(null),
      settings: { ...NO_DECISIONS.settings, approvers: { patch: true, drain: false } },
    });
    expect(buttonsOf(msg)).toEqual(['approve_patch', 'dismiss']);
    expect(blocksText(msg.blocks)).toContain('no approvers are configured for drain and remove');
  });

  it('1 of 2: who approved, the button kept for the second person, and Reject', () => {
    const msg = renderReport(
      job,
      reportWithFinding,
      plans,
      withDecision(decision({ required: 2, status: 'awaiting' })),
    );
    expect(buttonsOf(msg)).toEqual(['approve_patch', 'reject']);
    expect(blocksText(msg.blocks)).toContain('*1 of 2*: approved by <@U0BOB>');
    golden('report-awaiting-second-approval', msg);
  });

  it('being applied: the decision in place of the buttons', () => {
    const msg = renderReport(job, reportWithFinding, plans, withDecision(decision({ status: 'running' })));
    expect(buttonsOf(msg)).toEqual([]);
    expect(blocksText(msg.blocks)).toContain('being carried out now');
  });

  it('applied and the loop measured stopped: the headline says fixed', () => {
    const d = decision({
      status: 'finished',
      result: applied,
      verification: {
        stopped: true,
        writesPerMinute: 2,
        siblingWritesPerMinute: 2,
        wasWritesPerMinute: 1190,
        detail: null,
        at: '2026-11-25T06:07:03.000Z',
      },
    });
    const msg = renderReport(job, reportWithFinding, plans, withDecision(d));
    expect(blocksText(msg.blocks)).toContain(
      'Loop stopped*: 2 writes/min, like its sibling (2/min) (was 1,190/min)',
    );
    expect(JSON.stringify(msg.blocks[0])).toContain('— fixed');
    // Fixed: neither fix is offered again; Dismiss closes the finding.
    expect(buttonsOf(msg)).toEqual(['dismiss']);
    golden('report-fixed', msg);
    golden('thread-patch-applied', renderRemediationResult(d, 'machine-h46dc in prod-east', NOW));
    golden('thread-loop-stopped', renderVerification(d, 'machine-h46dc in prod-east'));
  });

  it('still looping: says so with the rate and points to the drain', () => {
    const d = decision({
      status: 'finished',
      result: applied,
      verification: {
        stopped: false,
        writesPerMinute: 870,
        siblingWritesPerMinute: 2,
        wasWritesPerMinute: 1190,
        detail: null,
        at: '2026-11-25T06:07:03.000Z',
      },
    });
    const msg = renderReport(job, reportWithFinding, plans, withDecision(d));
    expect(JSON.stringify(msg.blocks[0])).toContain('— not fixed');
    golden('thread-still-looping', renderVerification(d, 'machine-h46dc in prod-east'));
  });

  it('refused: what changed, nothing written', () => {
    const d = decision({
      status: 'refused',
      result: {
        ...applied,
        outcome: 'refused',
        detail: 'the node changed since the diagnosis',
        changed: ['status.internalNodeStatus.addresses'],
        resourceVersionBefore: null,
        resourceVersionAfter: null,
        diff: null,
        attempts: null,
      },
    });
    golden('thread-patch-refused', renderRemediationResult(d, 'machine-h46dc in prod-east', NOW));
  });

  it('rejected and dismissed: closed, no buttons', () => {
    const rejected = decision({
      status: 'rejected',
      required: 2,
      closedBy: { userId: 'U0CAROL', at: '2026-11-25T06:06:00.000Z' },
      updatedAt: '2026-11-25T06:06:00.000Z',
    });
    const msg = renderReport(job, reportWithFinding, plans, withDecision(rejected));
    expect(buttonsOf(msg)).toEqual([]);
    expect(blocksText(msg.blocks)).toContain('rejected by <@U0CAROL>');
  });
});

describe('answers to a click', () => {
  it('in the words a person on call reads', () => {
    golden('approval-self', renderApprovalRefused('self-approval', 'patch'));
    golden('approval-no-approvers', renderApprovalRefused('no-approvers', 'drain'));
    golden('approval-remediation-off', renderRemediationOff());
    golden('approval-expired', renderApprovalExpired());
    golden('approval-expired-alert', renderApprovalExpired(true));
    golden('approval-counted', renderApprovalCounted(decision({ required: 2, status: 'awaiting' })));
    golden('approval-already-decided', renderAlreadyDecided(decision({ status: 'running' }), NOW));
    golden('thread-patch-approved', renderApproved(decision({}), 'machine-h46dc in prod-east'));
    golden(
      'audit',
      renderAudit([
        {
          at: '2026-11-25T06:05:03.000Z',
          event: 'result',
          slackUser: null,
          kubernetesIdentity: 'system:serviceaccount:cattle-system:rancher-doctor',
          clusterId: 'c-dql6k',
          nodeId: 'machine-h46dc',
          kind: 'patch',
          decision: 1,
          planId: 'planPATCH0001',
          detail: 'applied',
          resourceVersionBefore: '88213',
          resourceVersionAfter: '88240',
        },
        {
          at: '2026-11-25T06:04:00.000Z',
          event: 'refusal',
          slackUser: 'U0MALLORY',
          kubernetesIdentity: null,
          clusterId: 'c-dql6k',
          nodeId: 'machine-h46dc',
          kind: 'patch',
          decision: null,
          planId: 'planPATCH0001',
          detail: 'approve_patch: not approver',
        },
      ]),
    );
  });
});
