import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiagnosisReport, FieldChanges } from '../../src/diagnosis/types.js';
import type { FindingPlanIds } from '../../src/queue/job-reporter.js';
import type { Block, SlackMessage } from '../../src/slack/render/blocks.js';
import { esc } from '../../src/slack/render/limits.js';
import { renderReport } from '../../src/slack/render/report.js';
import { expectMessageGolden } from '../support/golden.js';
import { blocksText } from '../support/slack-api.js';
import { slackLimitViolations } from '../support/slack-limits.js';
import {
  MASKED_REGISTRATION_COMMAND,
  REGISTRATION_TOKEN,
  job,
  reportBlockingPdb,
  reportIncompletePatch,
  reportIneligiblePatch,
  reportLongDiff,
  reportManyFindings,
  reportNoFinding,
  reportTenFindings,
  reportTwoClusters,
  reportTwoSources,
  reportUnreachableDownstream,
  reportV2prov,
  reportWithFinding,
  reportWithProblems,
} from './fixtures.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');

/** Plan ids for every finding, as the worker saves them (no patch id for an incomplete patch). */
function plansFor(report: DiagnosisReport): Record<string, FindingPlanIds> {
  return Object.fromEntries(
    report.findings.map((f, i) => [
      f.id,
      {
        patch: f.patchPlan?.complete && !f.patchPlan.ineligible ? `planPATCH${i}` : null,
        drain: f.drainPlan ? `planDRAIN${i}` : null,
        dismiss: `planDISMISS${i}`,
      },
    ]),
  );
}

/** Every message and reply within Slack's limits, then compared with its golden .json and .txt. */
function expectGolden(name: string, msg: SlackMessage): void {
  expect(slackLimitViolations(msg)).toEqual([]);
  for (const reply of msg.thread ?? []) expect(slackLimitViolations(reply)).toEqual([]);
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg);
}

/** The text a person sees without opening anything: block texts and button labels, not the thread. */
function visibleText(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks as unknown as Record<string, unknown>[]) {
    const text = b.text as { text?: string } | undefined;
    if (text?.text) out.push(text.text);
    for (const e of (b.elements as { text?: string | { text: string } }[] | undefined) ?? []) {
      if (typeof e.text === 'string') out.push(e.text);
      else if (e.text?.text) out.push(e.text.text);
    }
  }
  return out.join('\n');
}

function actionIds(msg: SlackMessage, blockId: string): string[] {
  const block = msg.blocks.find((b) => b.type === 'actions' && b.block_id === blockId) as
    { elements: { action_id: string }[] } | undefined;
  return block ? block.elements.map((e) => e.action_id) : [];
}

function threadText(msg: SlackMessage): string {
  return (msg.thread ?? []).map((r) => blocksText(r.blocks)).join('\n');
}

describe('the report: what to do first, the evidence in the thread', () => {
  it('one finding: headline, cause, recommendation with its risk and the buttons in the first blocks, under 1,500 characters', () => {
    const msg = renderReport(job, reportWithFinding, plansFor(reportWithFinding));
    const buttonsAt = msg.blocks.findIndex((b) => b.type === 'actions');
    expect(buttonsAt).toBeGreaterThanOrEqual(0);
    expect(buttonsAt).toBeLessThan(4);
    expect(visibleText(msg.blocks).length).toBeLessThanOrEqual(1500);

    const [head, cause] = msg.blocks.map((b) => blocksText([b]));
    for (const expected of ['*prod-east*', '`c-dql6k`', '`machine-h46dc`', 'worker-3', '10.0.0.12'])
      expect(head).toContain(expected);
    expect(head).toContain('*180 times a minute*');
    // Since when, as a Slack date each reader sees in local time.
    expect(head).toContain('since <!date^1795584602^{date_short_pretty} {time}|2026-11-25 05:30 UTC>');
    expect(cause).toMatch(/\*Cause\* \(confidence high\): The node was deleted in Rancher/);
    expect(cause).toContain('*Recommended: Drain and remove the node*: worker-3 is still in c-dql6k');
    expect(cause).toContain('_Risk:_ Evicts 1 pod; the host must then be cleaned and registered again');
    expect(actionIds(msg, 'finding-0')).toEqual(['approve_patch', 'approve_drain', 'dismiss']);
    // Who asked, how long it took.
    expect(blocksText(msg.blocks.slice(-1))).toMatch(/job `dmabc123f00d` · asked by <@U0ALICE> · took 8s/);

    // The notification: the cluster, the node, what to do.
    expect(msg.text).toBe(
      'prod-east: node machine-h46dc (worker-3) rewritten 180 times a minute. Recommended: drain and remove the node.',
    );
    expectGolden('report-finding', msg);
  });

  it('the thread holds the evidence with each rate over how long it was seen, the agent in one line, the diff and the drain', () => {
    const msg = renderReport(job, reportWithFinding, plansFor(reportWithFinding));
    const main = blocksText(msg.blocks);
    for (const detail of [
      '+    nodeName',
      'kubectl drain',
      'Waiting for node to register',
      'status.rkeNode`',
    ])
      expect(main).not.toContain(detail);
    const thread = threadText(msg);
    expect(thread).toContain(
      '• *180/min* by the kube-apiserver pod log: 5,400 writes over 30 min, from <!date^1795584602^{date_short_pretty} {time}|2026-11-25 05:30 UTC>',
    );
    expect(thread).toContain(
      '• Its healthy sibling `m-7xk2p` (worker-2) has `status.rkeNode` and `spec.customConfig`.',
    );
    // The agent's lines: one line, a count and the last time; none of its repeated lines.
    const agentLines = thread.split('\n').filter((l) => l.includes('Waiting for node to register'));
    expect(agentLines).toEqual([
      '• Node agent `cattle-system/cattle-node-agent-x8w2q` logged "Waiting for node to register" 900 times, last <!date^1795586398^{date_short_pretty} {time}|2026-11-25 05:59 UTC>.',
    ]);
    expect(thread).toContain('+    nodeName: c-dql6k:machine-h46dc');
    expect(thread).toContain('kubectl drain worker-3');
    expect(thread).toContain('*Hottest objects*');
  });

  it('two findings in two clusters: one headline and one button row each, the worst first', () => {
    const msg = renderReport(job, reportTwoClusters, plansFor(reportTwoClusters));
    const text = blocksText(msg.blocks);
    expect(text).toContain('*2 node objects rewritten in a loop in 2 clusters*');
    expect(text.indexOf('*prod-east*')).toBeLessThan(text.indexOf('*staging*'));
    expect(actionIds(msg, 'finding-0')).toEqual(['approve_patch', 'approve_drain', 'dismiss']);
    // staging could not be read downstream: no drain button there, and the row says why.
    expect(actionIds(msg, 'finding-1')).toEqual(['approve_patch', 'dismiss']);
    expect(text).toContain('No *Approve drain and remove*: staging could not be read');
    expect(msg.thread!.map((r) => r.text)).toEqual([
      'Evidence for machine-h46dc in prod-east',
      'Evidence for machine-p9w4r in staging',
      'What the diagnosis read',
    ]);
    expect(msg.text).toMatch(/^prod-east: node machine-h46dc .* And 1 more finding\.$/);
    expectGolden('report-two-clusters', msg);
  });

  it('ten findings: the five worst with buttons and a count; /rancher status lists the rest', () => {
    const msg = renderReport(job, reportTenFindings, plansFor(reportTenFindings));
    expect(msg.blocks.filter((b) => b.type === 'actions')).toHaveLength(5);
    const text = blocksText(msg.blocks);
    expect(text).toContain('*10 node objects rewritten in a loop in 2 clusters*');
    const rates = [...text.matchAll(/rewritten \*(\d+) times a minute\*/g)].map((m) => Number(m[1]));
    expect(rates).toEqual([265, 240, 215, 190, 165]);
    expect(text).toContain('… and 5 more findings, less written: `/rancher status dmabc123f00d` lists them');
    expect(text).not.toContain('rancher-doctor diagnose');
    expect(msg.thread).toHaveLength(6);
    expectGolden('report-ten-findings', msg);
  });

  it('many findings stay within the block limit', () => {
    const msg = renderReport(job, reportManyFindings, plansFor(reportManyFindings));
    expect(slackLimitViolations(msg)).toEqual([]);
    expect(blocksText(msg.blocks)).toContain('7 more findings');
  });

  it('an incomplete patch: no patch button, the row says which values are missing, the thread shows them', () => {
    const msg = renderReport(job, reportIncompletePatch, plansFor(reportIncompletePatch));
    expect(actionIds(msg, 'finding-0')).toEqual(['approve_drain', 'dismiss']);
    expect(blocksText(msg.blocks)).toContain('No *Approve patch*: the patch is incomplete');
    const thread = threadText(msg);
    expect(thread).toContain('*Incomplete: not offered for approval.*');
    expect(thread).toContain('`status.rkeNode.address` (the node object has no InternalIP address)');
    expectGolden('report-incomplete-patch', msg);
  });

  it('a patch the checks would refuse: no patch button, the row and the thread say why', () => {
    const msg = renderReport(job, reportIneligiblePatch, plansFor(reportIneligiblePatch));
    expect(actionIds(msg, 'finding-0')).toEqual(['approve_drain', 'dismiss']);
    expect(blocksText(msg.blocks)).toContain('No *Approve patch*: machine-h46dc belongs to node pool');
    const thread = threadText(msg);
    expect(thread).toContain(':no_entry_sign: not for this node, not offered for approval');
    expect(thread).not.toContain('one merge patch');
  });

  it("a v2prov node: cause unknown, no patch, the removal deletes its CAPI Machine; Rancher's version in the context line", () => {
    const msg = renderReport(job, reportV2prov, plansFor(reportV2prov));
    // Its removal is deleting the CAPI Machine, by hand: no drain button, and the row says why.
    expect(actionIds(msg, 'finding-0')).toEqual(['dismiss']);
    expect(blocksText(msg.blocks)).toContain('No *Approve drain and remove*: its host is a CAPI Machine');
    const text = blocksText(msg.blocks);
    expect(text).toContain('*Recommended: No fix yet*');
    expect(text).toContain('Rancher v2.8.5');
    const thread = threadText(msg);
    expect(thread).not.toContain('Patch the node object');
    expect(thread).toContain('kubectl delete machines.cluster.x-k8s.io -n fleet-default custom-a41b7c2e0d96');
    expect(thread).toContain(
      'since Rancher 2.7.7 deleting the Kubernetes node no longer removes its CAPI Machine',
    );
    expectGolden('report-v2prov', msg);
  });

  it('the patch says, next to it, what it sets off and where each value came from', () => {
    const thread = threadText(renderReport(job, reportWithFinding, plansFor(reportWithFinding)));
    expect(thread).toContain(
      "Applying it hands worker-3 to RKE: the next reconcile takes the host into prod-east's RKE config, so its roles and address (10.0.0.12) must be the host's real ones.",
    );
    expect(thread).toContain('_Where each value came from:_ port from sibling m-7xk2p');
  });

  it('an unreachable downstream cluster: no drain button, and why; the thread says the pods are unknown', () => {
    const msg = renderReport(job, reportUnreachableDownstream, plansFor(reportUnreachableDownstream));
    expect(actionIds(msg, 'finding-0')).toEqual(['approve_patch', 'dismiss']);
    expect(blocksText(msg.blocks)).toContain(
      'No *Approve drain and remove*: prod-east could not be read, so what a drain would evict is not known.',
    );
    expect(blocksText(msg.blocks)).toContain('*Recommended: Patch the node object*');
    const thread = threadText(msg);
    expect(thread).not.toMatch(/0 pods to evict/);
    expect(thread).toContain('the pods on it are not known (see below)');
    expect(thread).toContain(':information_source: downstream cluster c-dql6k could not be reached');
    expectGolden('report-drain-unreachable', msg);
  });

  it('the drain in the thread lists evicted pods, pods left alone with why, and blocking PodDisruptionBudgets', () => {
    const msg = renderReport(job, reportBlockingPdb, plansFor(reportBlockingPdb));
    const thread = threadText(msg);
    expect(thread).toContain('2 pods to evict, 3 left alone');
    expect(thread).toContain('Evicted: `default/web-5d9c7`, `default/web-8f2k1`');
    expect(thread).toContain('Left alone, mirror pod of a static pod');
    expect(thread).toContain(':warning: PodDisruptionBudget `default/web-pdb` allows 0 disruptions now');
    expect(blocksText(msg.blocks)).toContain('which a PodDisruptionBudget may hold up');
    expectGolden('report-drain-pdb', msg);
  });

  it('the registration command is in the thread once, its token masked; the Show button stays when the finding is decided', () => {
    for (const report of [reportWithFinding, reportBlockingPdb, reportUnreachableDownstream]) {
      const msg = renderReport(job, report, plansFor(report));
      const all = JSON.stringify(msg);
      expect(all).not.toContain(REGISTRATION_TOKEN);
      expect(all.split(esc(MASKED_REGISTRATION_COMMAND))).toHaveLength(2);
      expect(threadText(msg)).toContain('register the host again: (the command below)');
      const evidence = msg.thread![0]!;
      expect(actionIds(evidence, 'registration')).toEqual(['show_registration']);
      // In the thread, apart from the row a decision replaces: the button stays once it is decided.
      expect(msg.blocks.filter((b) => b.type === 'actions').map((b) => b.block_id)).toEqual(['finding-0']);
    }
    const bare = renderReport(job, reportWithFinding, {});
    expect(bare.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(threadText(bare)).toContain('copy the whole command from Rancher');
  });

  it('an object seen by the apiserver logs and the churn watch: both rates, each over its own span', () => {
    const msg = renderReport(job, reportTwoSources, plansFor(reportTwoSources));
    const hottest = threadText(msg).slice(threadText(msg).indexOf('*Hottest objects*')).split('\n');
    expect(hottest[1]).toBe(
      '1. `/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc`: 1,188/min (kube-apiserver pod log), 205/min (churn watch)',
    );
    expectGolden('report-two-sources', msg);
  });

  it('which field flips and who writes it: one line in the evidence, every path in a snippet in the thread', () => {
    const changes: FieldChanges = {
      source: 'churn',
      compared: 204,
      unchanged: 0,
      fields: [
        {
          path: 'status.conditions[type=Updated].lastUpdateTime',
          writes: 204,
          share: 1,
          writers: ['node-controller-sync'],
        },
        { path: 'status.dockerInfo', writes: 102, share: 0.5, writers: ['tunnel authorizer'] },
      ],
      writers: [
        {
          name: 'node-controller-sync',
          share: 1,
          fields: ['status.conditions[type=Updated].lastUpdateTime'],
        },
        { name: 'tunnel authorizer', share: 0.5, fields: ['status.dockerInfo'] },
      ],
    };
    const finding = reportTwoSources.findings[0]!;
    const report: DiagnosisReport = {
      ...reportTwoSources,
      findings: [
        {
          ...finding,
          writeRates: [
            {
              ...finding.writeRate!,
              source: 'churn',
              signal: 'churn',
              writes: 205,
              writesPerMinute: 205,
              description: 'watch on nodes.management.cattle.io in c-dql6k for 60s',
              firstSeen: '2022-05-07T08:29:00.000Z',
              lastSeen: '2022-05-07T08:30:00.000Z',
              observedSeconds: 60,
              fieldChanges: changes,
            },
          ],
        },
      ],
    };
    const msg = renderReport(job, report, plansFor(report));
    const thread = threadText(msg);
    expect(thread).toContain(
      '• Which field flips (churn watch): status.conditions[type=Updated].lastUpdateTime on 100% of 204 writes, status.dockerInfo 50%: node-controller-sync, tunnel authorizer; details in `fields-c-dql6k-machine-h46dc.txt`.',
    );
    const snippet = msg.uploads!.find((u) => u.filename === 'fields-c-dql6k-machine-h46dc.txt')!;
    expect(snippet.content).toContain('  status.dockerInfo: 102 (50%), written by tunnel authorizer');
    expect(snippet.content).toContain('  tunnel authorizer (50% of the writes): ');
    expectGolden('report-field-changes', msg);
  });

  it('a watch too short to measure: the headline is the measured rate, the watch says at least, over the second it watched', () => {
    // The bug seen by hand: the stand-in's loop every 50 ms, the watch ended after 1 s, 35 s of pod log.
    const finding = reportTwoSources.findings[0]!;
    const changes: FieldChanges = {
      source: 'churn',
      compared: 19,
      unchanged: 18,
      fields: [
        {
          path: 'status.conditions[type=Updated].lastUpdateTime',
          writes: 1,
          share: 1 / 19,
          writers: ['node-controller-sync'],
        },
      ],
      writers: [
        {
          name: 'node-controller-sync',
          share: 1 / 19,
          fields: ['status.conditions[type=Updated].lastUpdateTime'],
        },
      ],
    };
    const logs = {
      ...finding.writeRates![0]!,
      writes: 103,
      writesPerMinute: 176,
      description: 'pods kube-system/kube-apiserver-cp-1, last 30m',
      firstSeen: '2022-05-07T08:29:24.000Z',
      lastSeen: '2022-05-07T08:29:59.000Z',
      observedSeconds: 35,
    };
    const watch = {
      ...logs,
      source: 'churn' as const,
      signal: 'churn' as const,
      writes: 20,
      writesPerMinute: 20,
      description: 'watch on nodes.management.cattle.io in c-dql6k for 1s',
      firstSeen: '2022-05-07T08:29:59.000Z',
      observedSeconds: 1,
      lowerBound: true as const,
      fieldChanges: changes,
    };
    const report: DiagnosisReport = {
      ...reportTwoSources,
      scope: { ...reportTwoSources.scope, watchSeconds: 60, watchedSeconds: 1 },
      findings: [
        {
          ...finding,
          writeRate: {
            writes: 103,
            writesPerMinute: 176,
            source: 'apiserver-pod-logs',
            signal: 'satisfied-by',
          },
          writeRates: [logs, watch],
        },
      ],
    };
    const msg = renderReport(job, report, plansFor(report));
    expect(visibleText(msg.blocks)).toContain('rewritten *176 times a minute*');
    const thread = threadText(msg);
    expect(thread).toContain('• *176/min* by the kube-apiserver pod log: 103 writes over 35 s, from ');
    expect(thread).toContain(
      '• *at least 20/min* by the churn watch: 20 updates in 1 s of watching, too few to measure a rate, from ',
    );
    expect(thread).not.toContain('over 1 min');
    expect(thread).toContain(
      '• Which field flips (churn watch): status.conditions[type=Updated].lastUpdateTime on 5% of 19 writes: node-controller-sync; 18 of 19 changed nothing but bookkeeping (resourceVersion, managedFields); details in ',
    );
    expectGolden('report-lower-bound', msg);
  });

  it('a report whose churn watch was cut short states the window it watched, not the one asked', () => {
    const asked45 = { ...job, data: { ...job.data, watchSeconds: 45 } };
    const cutShort = {
      ...reportWithFinding,
      scope: { ...reportWithFinding.scope, watchSeconds: 45, watchedSeconds: 35 },
    };
    const text = blocksText(renderReport(asked45, cutShort, {}).blocks);
    expect(text).toContain('watched 35s of the 45s asked');
  });

  it('a watch that ended early because the loop was plain says so, and is not called cut short', () => {
    const early: DiagnosisReport = {
      ...reportWithFinding,
      scope: {
        ...reportWithFinding.scope,
        watchSeconds: 60,
        watchedSeconds: 11,
        watchEnd: {
          reason: 'conclusive',
          object: {
            key: reportWithFinding.findings[0]!.objectKey,
            writes: 220,
            seconds: 11,
            writesPerMinute: 1200,
          },
        },
      },
    };
    const text = blocksText(renderReport(job, early, {}).blocks);
    expect(text).toContain('watched writes 11s (ended early, the loop plain; 1m asked)');
    expect(text).not.toContain('of the 1m asked');
  });

  it('no finding, and access problems: what was read and what to grant', () => {
    expectGolden('report-no-finding', renderReport(job, reportNoFinding, {}));
    const msg = renderReport(job, reportWithProblems, {});
    expect(blocksText(msg.blocks)).toContain('HTTP 403');
    expect(blocksText(msg.blocks)).toContain('get on pods/log');
    expect(msg.text).toBe(
      'Diagnosis of prod-east (c-dql6k): no write activity could be read, a loop is not ruled out.',
    );
    expectGolden('report-problems', msg);
  });

  it('a long diff is cut in the thread with a note and attached there as a file', () => {
    const msg = renderReport(job, reportLongDiff, plansFor(reportLongDiff));
    expect(msg.uploads).toHaveLength(1);
    expect(msg.uploads![0]!.content).toBe(reportLongDiff.findings[0]!.patchPlan!.diff);
    expect(threadText(msg)).toContain('in this thread');
    expect(threadText(msg)).toContain('… (cut)');
    expectGolden('report-long-diff', msg);
  });
});
