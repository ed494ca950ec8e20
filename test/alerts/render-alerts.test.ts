import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Incident } from '../../src/alerts/incident.js';
import {
  renderAlertList,
  renderIncident,
  renderLostContact,
  renderNote,
  renderSummary,
} from '../../src/slack/render/alerts.js';
import type { Decision } from '../../src/remediation/approval/decision.js';
import { NO_DECISIONS } from '../../src/slack/render/decision-view.js';
import { expectMessageGolden } from '../support/golden.js';
import { reportWithFinding } from '../slack/fixtures.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');
const golden = (name: string, msg: Parameters<typeof expectMessageGolden>[1]) =>
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg);

const NOW = Date.parse('2025-03-04T10:12:00Z');
const base: Incident = {
  v: 1,
  fingerprint: 'node:c-dql6k/machine-h46dc',
  clusterId: 'c-dql6k',
  objectKey: 'c-dql6k/machine-h46dc',
  source: 'watch',
  summary: 'node object machine-h46dc of cluster c-dql6k is rewritten in a loop',
  startsAt: '2025-03-04T10:00:00Z',
  state: 'firing',
  message: { channel: 'C0ALERTS', ts: '1741082400.000100' },
  summaryRoot: null,
  writesPerMinute: 1180,
  peakPerMinute: 1200,
  toldPerMinute: 1180,
  ack: null,
  dismissed: null,
  diagnosis: null,
  resolvedAt: null,
  previous: null,
};
const outcome = {
  jobId: 'dm7x2k9abc123',
  clusterId: 'c-dql6k',
  requestedAt: '2025-03-04T10:01:00Z',
  report: reportWithFinding,
  plans: {
    [reportWithFinding.findings[0]!.id]: { patch: 'p-patch', drain: 'p-drain', dismiss: 'p-dismiss' },
  },
};

describe('alert messages, as the person on call reads them', () => {
  it('firing', () => golden('alert-firing', renderIncident(base, null, NOW)));
  it('diagnosing', () =>
    golden(
      'alert-diagnosing',
      renderIncident(
        { ...base, state: 'diagnosing', diagnosis: { jobId: 'dm7x2k9abc123', state: 'running' } },
        null,
        NOW,
      ),
    ));
  it('diagnosed: the report and its buttons under the alert, acknowledged', () =>
    golden(
      'alert-diagnosed',
      renderIncident(
        {
          ...base,
          state: 'diagnosed',
          diagnosis: { jobId: 'dm7x2k9abc123', state: 'done' },
          ack: { userId: 'U0BOB', at: '2025-03-04T10:03:00Z' },
        },
        outcome,
        NOW,
      ),
    ));
  it('resolved, after an earlier incident of the same object', () =>
    golden(
      'alert-resolved',
      renderIncident(
        {
          ...base,
          state: 'resolved',
          resolvedAt: '2025-03-04T10:47:00Z',
          previous: {
            startsAt: '2025-03-03T22:10:00Z',
            resolvedAt: '2025-03-03T23:00:00Z',
            message: {
              channel: 'C0ALERTS',
              ts: '1',
              permalink: 'https://example.slack.com/archives/C0ALERTS/p1',
            },
          },
        },
        outcome,
        NOW,
      ),
    ));
  const burst = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...base,
      fingerprint: `node:c-dql6k/machine-b${String(i).padStart(3, '0')}`,
      objectKey: `c-dql6k/machine-b${String(i).padStart(3, '0')}`,
    }));
  it('a summary of a burst of 50: every object listed', () =>
    golden('alert-summary', renderSummary(burst(50))));
  it('a summary of a burst too long for one message stays within Slack limits', () => {
    const msg = renderSummary(burst(2000));
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    for (const b of msg.blocks) expect(JSON.stringify(b).length).toBeLessThan(3100);
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('machine-b000');
    expect(text).toMatch(/… and \d+ more/);
  });
  it('the rate doubled, in the thread', () =>
    golden(
      'alert-note-rate',
      renderNote(base, { kind: 'rate-doubled', writesPerMinute: 2400, wasPerMinute: 1180 }),
    ));
  it('lost contact', () =>
    golden(
      'alert-lost-contact',
      renderLostContact({
        since: '2025-03-04T10:05:00Z',
        lastRates: [{ key: 'c-dql6k/machine-h46dc', writesPerMinute: 1180 }],
        apiserverMemoryBytes: 7.5 * 1024 ** 3,
      }),
    ));
  it('/rancher alerts', () =>
    golden(
      'alert-list',
      renderAlertList(
        [{ ...base, ack: { userId: 'U0BOB', at: '2025-03-04T10:03:00Z' } }],
        [{ fingerprint: 'node:c-dql6k/machine-x', until: '2025-03-04T14:00:00Z', userId: 'U0ALICE' }],
      ),
    ));

  describe('a fix approved from the alert', () => {
    const FINDING = reportWithFinding.findings[0]!.id;
    const measured = (stopped: boolean, detail: string | null = null): Decision => ({
      number: 1,
      kind: 'patch',
      planId: 'p-patch',
      diagnosisJobId: 'dm7x2k9abc123',
      requestedBy: 'U0BOB',
      required: 1,
      approvals: [{ userId: 'U0BOB', at: '2025-03-04T10:04:00Z' }],
      closedBy: null,
      status: 'finished',
      openedAt: '2025-03-04T10:04:00Z',
      expiresAt: '2025-03-04T10:31:00Z',
      updatedAt: '2025-03-04T10:04:10Z',
      result: {
        outcome: 'applied',
        detail: null,
        changed: [],
        resourceVersionBefore: '1201',
        resourceVersionAfter: '1202',
        diff: '+ status.rkeNode.address: 10.0.3.17',
        attempts: 1,
        at: '2025-03-04T10:04:10Z',
      },
      verification: {
        stopped,
        writesPerMinute: stopped ? 0.5 : 9,
        siblingWritesPerMinute: 0.5,
        wasWritesPerMinute: 1180,
        detail,
        at: '2025-03-04T10:07:10Z',
      },
    });
    const decided = (d: Decision) => ({
      ...NO_DECISIONS,
      byFinding: {
        [FINDING]: {
          object: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
          count: 1,
          closedBefore: null,
          current: d,
        },
      },
      reportMadeAt: reportWithFinding.finishedAt,
      now: '2025-03-04T10:08:00Z',
    });
    const diagnosed: Incident = {
      ...base,
      state: 'diagnosed',
      diagnosis: { jobId: 'dm7x2k9abc123', state: 'done' },
    };
    it('measured stopped: the alert says fixed, over the report that says so too', () => {
      const msg = renderIncident(diagnosed, outcome, NOW, decided(measured(true)));
      golden('alert-fixed', msg);
      expect(msg.text).toContain('— fixed');
    });
    it('resolved while the measurement was not clear: the alert says so', () => {
      const msg = renderIncident(
        { ...diagnosed, state: 'resolved', resolvedAt: '2025-03-04T10:12:00Z' },
        outcome,
        NOW,
        decided(measured(false, 'under the loop rule, but faster than its healthy sibling')),
      );
      expect(msg.text).toBe('Resolved: node object machine-h46dc of cluster c-dql6k — not clear yet');
    });
    const note = (step: 'result' | 'verified') =>
      renderNote(diagnosed, {
        kind: 'remediation',
        step,
        decision: measured(true),
        target: 'machine-h46dc in prod-east',
        drainPlan: null,
        at: '2025-03-04T10:04:10Z',
      });
    it("in the alert's thread: the patch applied", () => golden('alert-note-patch-applied', note('result')));
    it("in the alert's thread: the loop measured stopped", () =>
      golden('alert-note-verified', note('verified')));
  });
});
