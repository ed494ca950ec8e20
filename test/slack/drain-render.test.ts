import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decision, DrainFacts, ObjectState } from '../../src/remediation/approval/decision.js';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { NO_DECISIONS, type ReportDecisions } from '../../src/slack/render/decision-view.js';
import { renderDrainResult } from '../../src/slack/render/drain-replies.js';
import { renderReport } from '../../src/slack/render/report.js';
import { expectMessageGolden } from '../support/golden.js';
import { slackLimitViolations } from '../support/slack-limits.js';
import { blocksText } from '../support/slack-api.js';
import { job, reportWithFinding } from './fixtures.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');
const plans = {
  'c-dql6k/machine-h46dc': { patch: 'planPATCH0001', drain: 'planDRAIN0001', dismiss: 'planDISMISS01' },
};
const NOW = '2026-11-25T06:20:00.000Z';
const TARGET = 'machine-h46dc in prod-east';

function golden(name: string, msg: SlackMessage): void {
  expect(slackLimitViolations(msg)).toEqual([]);
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg);
}

const facts = (over: Partial<DrainFacts>): DrainFacts => ({
  node: 'worker-3',
  evicted: [],
  blocked: [],
  terminating: [],
  cordoned: true,
  nodeDeleted: false,
  machineObjectGone: null,
  stopReason: null,
  stoppedBy: null,
  uncordon: null,
  ...over,
});

const drain = (over: Partial<Decision>): Decision => ({
  number: 1,
  kind: 'drain',
  planId: 'planDRAIN0001',
  diagnosisJobId: job.jobId,
  requestedBy: 'U0OPS',
  required: 2,
  approvals: [
    { userId: 'U0ALICE', at: '2026-11-25T06:05:00.000Z' },
    { userId: 'U0BOB', at: '2026-11-25T06:06:00.000Z' },
  ],
  closedBy: null,
  status: 'running',
  openedAt: '2026-11-25T06:05:00.000Z',
  expiresAt: '2026-11-25T06:30:09.000Z',
  updatedAt: '2026-11-25T06:06:00.000Z',
  result: null,
  verification: null,
  ...over,
});

const result = (outcome: 'removed' | 'stopped', f: DrainFacts): Decision['result'] => ({
  outcome,
  detail: null,
  changed: [],
  resourceVersionBefore: null,
  resourceVersionAfter: null,
  diff: null,
  attempts: null,
  at: '2026-11-25T06:16:00.000Z',
  drain: f,
});

function withDecision(d: Decision): ReportDecisions {
  const state: ObjectState = {
    object: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
    count: d.number,
    closedBefore: null,
    current: d,
  };
  return {
    ...NO_DECISIONS,
    byFinding: { 'c-dql6k/machine-h46dc': state },
    reportMadeAt: reportWithFinding.finishedAt,
    now: NOW,
  };
}

const buttons = (msg: SlackMessage) =>
  (
    msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'finding-0') as
      { elements: { action_id: string; text: { text: string } }[] } | undefined
  )?.elements.map((e) => e.text.text) ?? [];

const drainPlan = reportWithFinding.findings[0]!.drainPlan;

describe('the drain in Slack', () => {
  it('while it runs: the report says so and offers Stop alone', () => {
    const msg = renderReport(job, reportWithFinding, plans, withDecision(drain({})));
    expect(buttons(msg)).toEqual(['Stop']);
    expect(blocksText(msg.blocks)).toContain('*Stop* halts it after the current step');
    golden('report-drain-running', msg);
  });

  it('stopped at DRAIN_TIMEOUT: the pod and its budget named, the node cordoned, Retry drain and Uncordon', () => {
    const d = drain({
      status: 'stopped',
      result: result(
        'stopped',
        facts({
          evicted: ['default/api-5f7d9c8b4-k2m9q'],
          blocked: [
            {
              pod: 'default/web-6d4cf56db6-x7k2p',
              pdbs: ['default/web-pdb'],
              message:
                "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web-pdb needs 2 healthy pods and has 2 currently",
            },
          ],
          stopReason: 'deadline',
        }),
      ),
    });
    const msg = renderReport(job, reportWithFinding, plans, withDecision(d));
    expect(buttons(msg)).toEqual(['Approve patch', 'Retry drain', 'Uncordon', 'Dismiss']);
    golden('report-drain-stopped', msg);
    const thread = renderDrainResult(d, TARGET, drainPlan, NOW);
    expect(blocksText(thread.blocks)).toContain('held by PodDisruptionBudget `default/web-pdb`');
    golden('thread-drain-stopped', thread);
  });

  it('removed: the host cleaned first, then the command with its token masked and the Show button', () => {
    const d = drain({
      status: 'finished',
      result: result(
        'removed',
        facts({ evicted: ['default/web-6d4cf56db6-x7k2p'], nodeDeleted: true, machineObjectGone: true }),
      ),
    });
    const thread = renderDrainResult(d, TARGET, drainPlan, NOW);
    const text = blocksText(thread.blocks);
    expect(text).toContain("The host's way back");
    expect(text).toContain('Show registration command');
    expect(text).not.toMatch(/--token [a-z0-9]{20,}/);
    golden('thread-drain-removed', thread);
  });
});
