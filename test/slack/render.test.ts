import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { renderFailure, renderProgress, renderQueued } from '../../src/slack/render/job-messages.js';
import { renderReport } from '../../src/slack/render/report.js';
import {
  renderAlreadyRunning,
  renderApprovalRefused,
  renderApproved,
  renderCommandFailed,
  renderDismissed,
  renderHelp,
  renderNotAllowed,
  renderPlanExpired,
  renderQueuedAck,
  renderRedisDown,
  renderRedisNoAnswer,
  renderStatus,
  renderUnknownCluster,
} from '../../src/slack/render/replies.js';
import { slackLimitViolations } from '../support/slack-limits.js';
import { expectMessageGolden } from '../support/golden.js';
import { blocksText } from '../support/slack-api.js';
import { esc } from '../../src/slack/render/limits.js';
import { job, reportWithFinding } from './fixtures.js';

const dismissedState = {
  object: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
  count: 1,
  closedBefore: '2026-11-25T06:05:00.000Z',
  current: {
    number: 1,
    kind: 'dismiss' as const,
    planId: 'planDISMISS01',
    diagnosisJobId: 'dmabc123f00d',
    requestedBy: 'U0ALICE',
    required: 1,
    approvals: [],
    closedBy: { userId: 'U0BOB', at: '2026-11-25T06:05:00.000Z' },
    status: 'dismissed' as const,
    openedAt: '2026-11-25T06:05:00.000Z',
    expiresAt: '2026-11-25T06:30:00.000Z',
    updatedAt: '2026-11-25T06:05:00.000Z',
    result: null,
    verification: null,
  },
};
const awaitingDecision = {
  ...dismissedState.current,
  kind: 'patch' as const,
  status: 'queued' as const,
  closedBy: null,
  approvals: [{ userId: 'U0BOB', at: '2026-11-25T06:05:00.000Z' }],
};

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');
const plans = {
  'c-dql6k/machine-h46dc': { patch: 'planPATCH0001', drain: 'planDRAIN0001', dismiss: 'planDISMISS01' },
};

/** Compares with test/golden/slack/<name>.json and .txt (UPDATE_GOLDEN=1 writes them). */
function expectGolden(name: string, msg: SlackMessage): void {
  expect(slackLimitViolations(msg)).toEqual([]);
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg);
}

describe('job messages', () => {
  it('queued', () => expectGolden('queued', renderQueued(job)));

  it('progress through the stages, with byte and line counts', () => {
    const logs = renderProgress(job, {
      stage: 'reading-apiserver-logs',
      detail: 'kube-apiserver-cp-1',
      bytes: 7_340_032,
      lines: 32500,
    });
    expect(blocksText(logs.blocks)).toContain('7.0 MiB, 32,500 lines');
    expectGolden('progress-logs', logs);
    expectGolden(
      'progress-nodes',
      renderProgress(job, { stage: 'reading-node-objects', detail: '14 node objects in c-dql6k' }, 1, [
        'reading-apiserver-logs',
        'reading-node-objects',
      ]),
    );
    expectGolden(
      'progress-agents',
      renderProgress(
        job,
        { stage: 'asking-node-agents', detail: 'cattle-node-agent on worker-3' },
        2,
        ['reading-apiserver-logs', 'reading-node-objects', 'watching-churn', 'asking-node-agents'],
        { bytes: 7_340_032, lines: 32500 },
        { seconds: 60, secondsLeft: 0, updates: 1, objects: 1 },
      ),
    );
  });

  it('the churn watch has its own line, which keeps its state while the other lines move on', () => {
    const seen = ['reading-apiserver-logs', 'watching-churn', 'reading-node-objects'] as const;
    const watch = { seconds: 60, secondsLeft: 55, updates: 100, objects: 1 };
    const msg = renderProgress(
      job,
      { stage: 'reading-node-objects', detail: '14 node objects read' },
      1,
      [...seen],
      { lines: 32500 },
      watch,
    );
    expect(blocksText(msg.blocks)).toContain(
      [
        ':white_check_mark: Queued',
        ':white_check_mark: Reading apiserver logs (32,500 lines)',
        ':arrow_forward: *Watching writes* — 55 s left, 100 updates of 1 object',
        ':arrow_forward: *Reading node objects* — 14 node objects read',
        ':white_small_square: Asking the node agents',
      ].join('\n'),
    );
    expectGolden('progress-watch', msg);
    // A watch event alone moves no other line back.
    const tick = renderProgress(
      job,
      { stage: 'watching-churn', detail: '50 s left', watch: { ...watch, secondsLeft: 50 } },
      1,
      [...seen],
    );
    expect(tick.text).toContain('reading node objects');
    expect(blocksText(tick.blocks)).toContain(':arrow_forward: *Reading node objects*\n');
    expect(blocksText(tick.blocks)).toContain(':arrow_forward: *Watching writes* — 50 s left');
    const over = renderProgress(
      job,
      { stage: 'asking-node-agents', detail: 'worker-3' },
      1,
      [...seen],
      null,
      {
        ...watch,
        secondsLeft: 0,
      },
    );
    expect(blocksText(over.blocks)).toContain(
      ':white_check_mark: Watching writes (100 updates of 1 object in 1m)',
    );
  });

  it('a job that turned the watch off (--watch 0) has no watch line and says so', () => {
    const noWatch = { ...job, data: { ...job.data, watchSeconds: 0 } };
    const msg = renderQueued(noWatch);
    expect(blocksText(msg.blocks)).not.toContain('Watching writes');
    expect(blocksText(msg.blocks)).toContain('no watch');
  });

  it('the amount of log read stays on the logs line while churn or a later stage shows', () => {
    const later = renderProgress(
      job,
      { stage: 'reading-node-objects', detail: 'nodes in c-dql6k' },
      1,
      ['reading-apiserver-logs', 'reading-node-objects'],
      { bytes: 7_340_032, lines: 32500 },
    );
    expect(blocksText(later.blocks)).toContain(
      ':white_check_mark: Reading apiserver logs (7.0 MiB, 32,500 lines)',
    );
    const churn = renderProgress(
      job,
      { stage: 'reading-apiserver-logs', detail: 'kube-apiserver-cp-1' },
      1,
      ['reading-apiserver-logs', 'watching-churn'],
      { lines: 26 },
      { seconds: 2, secondsLeft: 1, updates: 9, objects: 1 },
    );
    expect(blocksText(churn.blocks)).toContain(
      ':arrow_forward: *Reading apiserver logs* — kube-apiserver-cp-1 (26 lines)',
    );
  });

  it('failures: permanent, to be retried', () => {
    expectGolden(
      'failure-permanent',
      renderFailure(job, {
        message: 'unknown cluster "c-nope"; known clusters: c-dql6k (prod-east)',
        hint: 'Known clusters: prod-east (c-dql6k)',
        permanent: true,
        retry: null,
      }),
    );
    expectGolden(
      'failure-retrying',
      renderFailure(job, {
        message: 'apiserver answered 503',
        hint: null,
        permanent: false,
        retry: { attempt: 1, of: 3 },
      }),
    );
  });
});

/** Display names, node names, log lines and errors as a hostile cluster could make them. */
const HOSTILE = '<!channel> *bold* _x_ ~s~ `tick` <https://evil.example|click> @here & co';
const hostileJob = { ...job, data: { ...job.data, clusterName: HOSTILE } };
const hostileReport = {
  ...reportWithFinding,
  clusters: [{ id: 'c-dql6k', name: HOSTILE, driver: 'rancherKubernetesEngine' }],
  findings: [
    {
      ...reportWithFinding.findings[0]!,
      clusterName: HOSTILE,
      hostname: `*host*<!here>`,
      cause: {
        ...reportWithFinding.findings[0]!.cause,
        details: [`No m- object exists for host ${HOSTILE}.`],
      },
      evidence: [{ kind: 'downstream-node' as const, text: `Kubernetes node ${HOSTILE} is Ready` }],
      agent: { ...reportWithFinding.findings[0]!.agent!, sample: [`msg="${HOSTILE}"`, 'a ``` fence'] },
    },
  ],
  problems: [
    {
      target: `pods/log in ${HOSTILE}`,
      status: 403,
      message: `forbidden: ${HOSTILE}`,
      hint: `_grant_ ${HOSTILE}`,
    },
  ],
};

/**
 * Every string Slack would read as mrkdwn or show in a notification: the fallback text, section,
 * context and confirm texts. Code blocks are taken out: formatting is off inside them.
 */
function mrkdwnTexts(msg: SlackMessage): string[] {
  const out = [msg.text];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(msg.blocks);
  return out.map((t) => t.replace(/```[\s\S]*?```/g, '[code]'));
}

function expectInert(msg: SlackMessage, namesTheCluster = true): void {
  const texts = mrkdwnTexts(msg);
  for (const t of texts) {
    // No mention, link or command (but the Slack dates the renderer writes itself): Slack's
    // control characters only as entities.
    expect(t).not.toMatch(/<!(?!date\^\d+\^[^|<>]*\|[^<>]*>)|<https?:|<@[^U]|<#[^C]/);
    expect(t).not.toContain('<https://evil');
    for (const formatted of ['*bold*', '_x_', '~s~', '`tick`', '*host*']) expect(t).not.toContain(formatted);
  }
  if (namesTheCluster) expect(texts.join('\n')).toContain('&lt;!channel&gt;');
  // Readable all the same: the words are there, the formatting characters as lookalikes.
  expect(texts.join('\n')).toContain('\u2217bold\u2217 \uff3fx\uff3f \u223cs\u223c \u02cbtick\u02cb');
}

describe('hostile names', () => {
  it('are inert everywhere: fallback text, sections, context, code blocks and confirm dialogs', () => {
    const report = renderReport(hostileJob, hostileReport, plans);
    expectInert(report);
    for (const reply of report.thread ?? []) expectInert(reply, false);
    expect(report.text).toMatch(/^&lt;!channel&gt; /);
    const confirms = mrkdwnTexts(report).filter((t) => /^(Applies|Approves|Cordons) /.test(t));
    expect(confirms).toHaveLength(2);
    for (const c of confirms) expect(c).toContain('&lt;!channel&gt;');
    expectGolden('report-hostile-names', report);
    for (const reply of report.thread ?? []) expect(slackLimitViolations(reply)).toEqual([]);

    expectInert(renderQueued(hostileJob));
    expectInert(renderProgress(hostileJob, { stage: 'reading-node-objects', detail: `nodes in ${HOSTILE}` }));
    expectInert(
      renderFailure(hostileJob, { message: `boom ${HOSTILE}`, hint: HOSTILE, permanent: true, retry: null }),
    );
    expectInert(renderQueuedAck('dmabc123f00d', HOSTILE, 'C0OPS'));
    expectInert(renderAlreadyRunning('dmabc123f00d', HOSTILE, 'active', null));
    expectInert(renderUnknownCluster(HOSTILE, [{ id: 'c-1', name: HOSTILE, driver: 'imported' }]));
    expectInert(renderHelp(`unknown subcommand "${HOSTILE}"`));
    expectInert(renderApproved(awaitingDecision, `machine-h46dc in ${HOSTILE}`));
    expectInert(renderDismissed('U0BOB', `machine-h46dc in ${HOSTILE}`));
  });

  it('names with underscores between letters (RANCHER_URL, snake_case) keep them: Slack formats nothing there', () => {
    expect(esc('RANCHER_URL a_b_c 2*3')).toBe('RANCHER_URL a_b_c 2*3');
    expect(esc('_x_ *b* ~s~ `c`')).toBe('\uff3fx\uff3f \u2217b\u2217 \u223cs\u223c \u02cbc\u02cb');
    expect(esc('<!here> & <@U1|x>')).toBe('&lt;!here&gt; &amp; &lt;@U1|x&gt;');
  });
});

describe('replies', () => {
  it('help, and help naming what was not understood', () => {
    expectGolden('help', renderHelp());
    const msg = renderHelp('unknown subcommand "diagnoze"');
    expect(msg.text).toContain('diagnoze');
    expectGolden('help-not-understood', msg);
  });
  it('acks', () => {
    expectGolden('ack-queued', renderQueuedAck('dmabc123f00d', 'prod-east (c-dql6k)', 'C0OPS'));
    expectGolden(
      'ack-already-running',
      renderAlreadyRunning('dmabc123f00d', 'prod-east (c-dql6k)', 'active', '<#C0OPS>'),
    );
    expectGolden('ack-redis-down', renderRedisDown());
    expectGolden('ack-redis-no-answer', renderRedisNoAnswer());
    expectGolden('ack-failed', renderCommandFailed());
    expectGolden('ack-not-allowed', renderNotAllowed());
    expectGolden('unknown-cluster', renderUnknownCluster('c-nope', reportWithFinding.clusters));
  });
  it('status: stages in the words of the job message, the outcome, and a link to the message', () => {
    const base = {
      scope: 'prod-east (c-dql6k)',
      attempts: 1,
      requestedBy: 'U0ALICE',
      requestedAt: '2026-11-25T06:00:00.000Z',
      failedReason: null,
      result: null,
      progress: null,
      message: { channel: 'C0OPS', permalink: null },
    };
    const msg = renderStatus(
      [
        {
          ...base,
          jobId: 'dmabc123f00d',
          state: 'active',
          progress: { stage: 'reading-node-objects', detail: 'listing nodes.management.cattle.io' },
          message: {
            channel: 'C0OPS',
            permalink: 'https://example.slack.com/archives/C0OPS/p1700000000000001',
          },
        },
        {
          ...base,
          jobId: 'dmabc124beef',
          scope: 'all clusters',
          state: 'active',
          progress: {
            stage: 'watching-churn',
            detail: '55 s left, 100 updates of 1 object',
            watch: { seconds: 60, secondsLeft: 55, updates: 100, objects: 1 },
          },
        },
        {
          ...base,
          jobId: 'dmabc0ff1ce0',
          state: 'completed',
          result: {
            findings: [{ clusterId: 'c-dql6k', nodeId: 'machine-h46dc', summary: 'orphaned machine- node' }],
            problems: 1,
            message: { channel: 'C0OPS', ts: '1700000000.000002' },
          },
          message: {
            channel: 'C0OPS',
            permalink: 'https://example.slack.com/archives/C0OPS/p1700000000000002',
          },
        },
        {
          ...base,
          jobId: 'dmabc0ff1ce1',
          state: 'completed',
          result: { findings: [], problems: 0, message: null },
        },
        {
          ...base,
          jobId: 'dmabc0bad000',
          state: 'failed',
          attempts: 3,
          failedReason: 'apiserver answered 503\n<html>a page of HTML follows</html>',
        },
        {
          ...base,
          jobId: 'dmabc0back00',
          state: 'waiting',
          progress: { stage: 'reading-apiserver-logs', detail: 'kube-apiserver-cp-1' },
          message: null,
        },
      ],
      null,
    );
    const text = blocksText(msg.blocks);
    expect(text).not.toContain('reading-node-objects');
    expect(text).toContain('*running* — Reading node objects');
    expect(text).toContain('*running* — Watching writes, 55 s left, 100 updates of 1 object');
    expect(text).toContain('<https://example.slack.com/archives/C0OPS/p1700000000000001|its message>');
    expect(text).toContain('*finished* — 1 finding: machine-h46dc in c-dql6k, 1 access problem');
    expect(text).toContain('*finished* — no write loop found');
    expect(text).toContain('*failed* · asked by');
    expect(text).toContain('> apiserver answered 503…');
    expect(text).toContain('*queued* — handed back unfinished');
    expect(msg.text).toBe('6 recent diagnoses');
    expectGolden('status', msg);
    expectGolden('status-unknown-job', renderStatus([], 'dnope'));

    // One job asked for: every finding, also those the report had no room for, worst first.
    const many = renderStatus(
      [
        {
          ...base,
          jobId: 'dmabc0ff1ce0',
          state: 'completed',
          result: {
            findings: Array.from({ length: 7 }, (_, i) => ({
              clusterId: i % 2 ? 'c-dql6k' : 'c-8kx2q',
              clusterName: i % 2 ? 'prod-east' : 'staging',
              nodeId: `machine-${i}x7k`,
              hostname: `worker-${i + 10}`,
              writesPerMinute: 300 - i * 40,
              fix: i % 2 ? ('drain' as const) : ('patch' as const),
              summary: 'The node was deleted in Rancher ...',
            })),
            problems: 0,
            message: null,
          },
        },
      ],
      'dmabc0ff1ce0',
    );
    const listed = blocksText(many.blocks);
    expect(listed).toContain(
      '1. staging: `machine-0x7k` (worker-10), 300/min; recommended: patch the node object',
    );
    expect(listed).toContain('7. staging: `machine-6x7k` (worker-16), 60/min');
    expectGolden('status-findings', many);
  });
  it('button answers', () => {
    expectGolden('plan-expired', renderPlanExpired());
    expectGolden('not-approver', renderApprovalRefused('not-approver', 'patch'));
    expectGolden('dismissed', renderDismissed('U0BOB', 'machine-h46dc in prod-east'));
  });
});
