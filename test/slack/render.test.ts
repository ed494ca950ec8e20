import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { NO_DECISIONS } from '../../src/slack/render/decision-view.js';
import {
  renderFailure,
  renderProgress,
  renderQueued,
  renderReport,
} from '../../src/slack/render/job-messages.js';
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
import {
  MASKED_REGISTRATION_COMMAND,
  REGISTRATION_TOKEN,
  job,
  reportBlockingPdb,
  reportIncompletePatch,
  reportLongDiff,
  reportManyFindings,
  reportNoFinding,
  reportTwoSources,
  reportUnreachableDownstream,
  reportWithFinding,
  reportWithProblems,
} from './fixtures.js';

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

  it('report with a finding: headline, evidence, cause, diff and the three buttons with confirms', () => {
    const msg = renderReport(job, reportWithFinding, plans);
    const text = blocksText(msg.blocks);
    for (const expected of [
      'prod-east',
      'machine-h46dc',
      '10.0.0.12',
      '180 writes/min',
      'status.rkeNode',
      'm-7xk2p',
      'Waiting for node to register',
      '+    nodeName: c-dql6k:machine-h46dc',
    ]) {
      expect(text).toContain(expected);
    }
    const actions = msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'finding-0') as {
      elements: { text: { text: string }; value: string; confirm?: unknown }[];
    };
    expect(actions.elements.map((e) => e.text.text)).toEqual([
      'Approve patch',
      'Approve drain and remove',
      'Dismiss',
    ]);
    expect(actions.elements.map((e) => e.value)).toEqual(['planPATCH0001', 'planDRAIN0001', 'planDISMISS01']);
    expect(actions.elements.every((e) => e.confirm)).toBe(true);
    expect(msg.uploads).toBeUndefined();
    expectGolden('report-finding', msg);
  });

  it('a report whose churn watch was cut short states the window it watched, not the one asked', () => {
    const asked45 = { ...job, data: { ...job.data, watchSeconds: 45 } };
    const cutShort = {
      ...reportWithFinding,
      scope: { ...reportWithFinding.scope, watchSeconds: 45, watchedSeconds: 35 },
    };
    const text = blocksText(renderReport(asked45, cutShort, plans).blocks);
    expect(text).toContain('watched 35s of the 45s asked');
    expect(text).not.toContain('watch 45s');
    // A whole window reads as before.
    const whole = { ...cutShort, scope: { ...cutShort.scope, watchedSeconds: 45 } };
    expect(blocksText(renderReport(asked45, whole, plans).blocks)).toContain('watch 45s');
  });

  it('an object seen by the apiserver logs and the churn watch is listed once, with both rates', () => {
    const msg = renderReport(job, reportTwoSources, plans);
    const text = blocksText(msg.blocks);
    const hottest = text.slice(text.indexOf('*Hottest objects*')).split('\n').slice(1, 4);
    const nodeKey = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';
    expect(hottest.filter((l) => l.includes(nodeKey))).toEqual([
      `1. \`${nodeKey}\` — 1,188 writes/min (kube-apiserver pod log) · 205 writes/min (churn watch)`,
    ]);
    expect(hottest[1]).toMatch(
      /^2\. `\/apis\/coordination.k8s.io\/.*leases\/kube-controller-manager` — 30\.0 writes\/min \(kube-apiserver pod log\)$/,
    );
    expect(hottest.filter((l) => l.startsWith('1. '))).toHaveLength(1);
    expectGolden('report-two-sources', msg);
  });

  it('downstream unreachable: the drain section says why the pods are unknown, not "0 pods"', () => {
    const msg = renderReport(job, reportUnreachableDownstream, plans);
    const text = blocksText(msg.blocks);
    expect(text).not.toMatch(/0 pod\(s\) to evict/);
    expect(text).toContain('pods on it not known (see the notes)');
    expect(text).toContain(
      ':information_source: downstream cluster c-dql6k could not be reached: the node, its pods and PDBs are not known',
    );
    expect(text).toContain(':information_source: PodDisruptionBudgets could not be listed');
    expectGolden('report-drain-unreachable', msg);
  });

  it('the drain section lists evicted pods, pods left alone with why, and blocking PodDisruptionBudgets', () => {
    const msg = renderReport(job, reportBlockingPdb, plans);
    const text = blocksText(msg.blocks);
    expect(text).toContain('2 pods to evict, 3 left alone');
    expect(text).toContain('Evicted: `default/web-5d9c7`, `default/web-8f2k1`');
    expect(text).toContain(
      'Left alone, DaemonSet: `cattle-system/cattle-node-agent-x8w2q`, `kube-system/canal-5xk8t`',
    );
    expect(text).toContain('Left alone, mirror pod of a static pod');
    expect(text).toContain(
      ':warning: PodDisruptionBudget `default/web-pdb` allows 0 disruptions now and selects 2 pods',
    );
    expectGolden('report-drain-pdb', msg);
  });

  it('the registration command is shown once, after the steps, with its token masked; an approver asks for it whole', () => {
    for (const report of [reportWithFinding, reportBlockingPdb, reportUnreachableDownstream]) {
      const msg = renderReport(job, report, plans);
      const all = JSON.stringify(msg);
      expect(all).not.toContain(REGISTRATION_TOKEN);
      expect(all.split(esc(MASKED_REGISTRATION_COMMAND))).toHaveLength(2);
      expect(blocksText(msg.blocks)).toContain('register the host again: (the command below)');
      // Its own block, so that it stays when a decision takes the finding's buttons away.
      const show = msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'registration-0') as {
        elements: { action_id: string; value: string; confirm?: unknown }[];
      };
      expect(show.elements).toEqual([
        expect.objectContaining({ action_id: 'show_registration', value: 'planDRAIN0001' }),
      ]);
      const dismissed = renderReport(job, report, plans, {
        ...NO_DECISIONS,
        byFinding: { 'c-dql6k/machine-h46dc': dismissedState },
        reportMadeAt: '2026-11-25T06:00:00.000Z',
      });
      expect(dismissed.blocks.some((b) => b.type === 'actions' && b.block_id === 'finding-0')).toBe(false);
      expect(dismissed.blocks.some((b) => b.type === 'actions' && b.block_id === 'registration-0')).toBe(
        true,
      );
    }
    // No plans (no Redis behind the buttons): no button, and the note points to Rancher instead.
    const bare = renderReport(job, reportWithFinding, {});
    expect(bare.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocksText(bare.blocks)).toContain('copy the whole command from Rancher');
  });

  it('the confirm dialogs say what a click does: the patch after a re-read, a dry run and a precondition; the drain recorded only', () => {
    const msg = renderReport(job, reportWithFinding, plans);
    const buttons = (
      msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'finding-0') as {
        elements: { action_id: string; confirm: { text: { text: string }; style?: string } }[];
      }
    ).elements;
    const confirm = (id: string) => buttons.find((b) => b.action_id === id)!.confirm;
    expect(confirm('approve_patch').text.text).toMatch(
      /^Applies the patch .* after reading it again and a server-side dry run. If what the patch is built from .* changed, nothing is written/,
    );
    expect(confirm('approve_drain').text.text).toMatch(
      /^Approves draining .* does not carry out the drain yet: .* nothing is cordoned, drained or deleted/,
    );
    expect(confirm('approve_drain').style).toBe('danger');
  });

  it('an incomplete patch is shown with what could not be derived, and not offered for approval', () => {
    const msg = renderReport(job, reportIncompletePatch, plans);
    const text = blocksText(msg.blocks);
    expect(text).toContain('*Incomplete: not offered for approval.*');
    expect(text).toContain('`status.rkeNode.address` (the node object has no InternalIP address)');
    expect(text).toContain('No *Approve patch*: the patch is incomplete');
    const actions = msg.blocks.find((b) => b.type === 'actions' && b.block_id === 'finding-0') as {
      elements: { action_id: string }[];
    };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['approve_drain', 'dismiss']);
    expectGolden('report-incomplete-patch', msg);
  });

  it('report with no finding', () =>
    expectGolden('report-no-finding', renderReport(job, reportNoFinding, {})));

  it('report with access problems names each target and what to grant', () => {
    const msg = renderReport(job, reportWithProblems, {});
    expect(blocksText(msg.blocks)).toContain('HTTP 403');
    expect(blocksText(msg.blocks)).toContain('get on pods/log');
    expectGolden('report-problems', msg);
  });

  it('a long diff is cut with a note and attached as a file', () => {
    const msg = renderReport(job, reportLongDiff, plans);
    expect(msg.uploads).toHaveLength(1);
    expect(msg.uploads![0]!.content).toBe(reportLongDiff.findings[0]!.patchPlan!.diff);
    expect(blocksText(msg.blocks)).toContain('in this thread');
    expect(blocksText(msg.blocks)).toContain('… (cut)');
    expectGolden('report-long-diff', msg);
  });

  it('many findings stay within the block limit', () => {
    const msg = renderReport(job, reportManyFindings, {});
    expect(slackLimitViolations(msg)).toEqual([]);
    expect(blocksText(msg.blocks)).toContain('7 more findings');
  });

  it('lists the hottest objects once per report, ahead of the findings, however many there are', () => {
    const text = blocksText(renderReport(job, reportManyFindings, {}).blocks);
    expect(text.split('*Hottest objects*')).toHaveLength(2);
    expect(text.indexOf('*Hottest objects*')).toBeLessThan(text.indexOf(':rotating_light:'));
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

function expectInert(msg: SlackMessage): void {
  const texts = mrkdwnTexts(msg);
  for (const t of texts) {
    // No mention, link or command: Slack's control characters only as entities.
    expect(t).not.toMatch(/<!|<https?:|<@[^U]|<#[^C]/);
    expect(t).not.toContain('<https://evil');
    for (const formatted of ['*bold*', '_x_', '~s~', '`tick`', '*host*']) expect(t).not.toContain(formatted);
  }
  expect(texts.join('\n')).toContain('&lt;!channel&gt;');
  // Readable all the same: the words are there, the formatting characters as lookalikes.
  expect(texts.join('\n')).toContain('\u2217bold\u2217 \uff3fx\uff3f \u223cs\u223c \u02cbtick\u02cb');
}

describe('hostile names', () => {
  it('are inert everywhere: fallback text, sections, context, code blocks and confirm dialogs', () => {
    const report = renderReport(hostileJob, hostileReport, plans);
    expectInert(report);
    expect(report.text).toMatch(/^Diagnosis of &lt;!channel&gt; /);
    const confirms = mrkdwnTexts(report).filter((t) => /^(Applies|Approves) /.test(t));
    expect(confirms).toHaveLength(2);
    for (const c of confirms) expect(c).toContain('&lt;!channel&gt;');
    // Inside a code block the log line keeps its characters, but still forms no mention or link.
    const agent = blocksText(report.blocks)
      .split('\n')
      .find((l) => l.includes('msg='))!;
    expect(agent).toContain('*bold* _x_ ~s~');
    expect(agent).not.toContain('<!channel>');
    expectGolden('report-hostile-names', report);

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
  });
  it('button answers', () => {
    expectGolden('plan-expired', renderPlanExpired());
    expectGolden('not-approver', renderApprovalRefused('not-approver', 'patch'));
    expectGolden('dismissed', renderDismissed('U0BOB', 'machine-h46dc in prod-east'));
  });
});
