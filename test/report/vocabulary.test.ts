import { describe, expect, it } from '@jest/globals';
import type { DiagnosisReport, DiagnosisStage, EvidenceSource } from '../../src/diagnosis/types.js';
import { buildReportModel } from '../../src/report/model.js';
import { renderProgress as cliProgress, renderReport as cliReport } from '../../src/report/render-text.js';
import { SOURCE_LABELS, STAGE_LABELS } from '../../src/report/vocabulary.js';
import { renderProgress as slackProgress } from '../../src/slack/render/job-messages.js';
import { renderReport as slackReport } from '../../src/slack/render/report.js';
import { blocksText } from '../support/slack-api.js';
import { job, reportTwoSources, reportWithFinding } from '../slack/fixtures.js';

const finding = reportWithFinding.findings[0]!;

/** The node seen by the apiserver logs and, faster, by the churn watch: each source has its own rate. */
const report: DiagnosisReport = {
  ...reportTwoSources,
  scope: { ...reportTwoSources.scope, watchSeconds: 60, watchedSeconds: 60 },
  findings: [
    {
      ...finding,
      writeRate: { writes: 205, writesPerMinute: 205, source: 'churn', signal: 'churn' },
      writeRates: [
        {
          writes: 205,
          writesPerMinute: 205,
          source: 'churn',
          signal: 'churn',
          description: 'watch on nodes.management.cattle.io in c-dql6k for 60s',
          firstSeen: null,
          lastSeen: null,
        },
        {
          writes: 5400,
          writesPerMinute: 180,
          source: 'apiserver-pod-logs',
          signal: 'satisfied-by',
          description: 'pods kube-system/kube-apiserver-cp-1, last 30m',
          firstSeen: null,
          lastSeen: null,
        },
      ],
    },
  ],
};

const cli = cliReport(report);
const slack = slackReport(job, report, {});
const slackText = [slack, ...(slack.thread ?? [])]
  .map((m) => `${m.text}\n${blocksText(m.blocks)}`)
  .join('\n');

describe('the command line and Slack say the same facts in the same words', () => {
  const sources: EvidenceSource[] = ['churn', 'apiserver-pod-logs'];

  it.each(sources)('the source %s has one name, and neither says its internal id', (source) => {
    const label = SOURCE_LABELS[source];
    expect(cli).toMatch(new RegExp(`/min by the ${label}: `));
    expect(slackText).toMatch(new RegExp(`/min\\* by the ${label}: `));
    expect(slackText).not.toContain(source === 'churn' ? 'from churn' : source);
    expect(cli).not.toContain(source === 'churn' ? 'by churn' : source);
  });

  it('the headline rate names the same source, and counts what it counted in the same unit', () => {
    const rate = buildReportModel(report).findings[0]!.rate!;
    expect(rate.counted).toBe('205 updates');
    expect(cli).toContain('- 205/min by the churn watch: 205 updates over 60 s');
    expect(slackText).toContain('• *205/min* by the churn watch: 205 updates over 60 s');
  });

  it('the cause, the recommendation and the fixes have the same words, and no internal id shows', () => {
    const f = buildReportModel(report).findings[0]!;
    for (const words of [
      f.cause.summary,
      `${f.fixAdvice!.label}`,
      'Patch the node object',
      'Drain and remove the node',
    ]) {
      expect(cli).toContain(words);
      expect(slackText).toContain(words);
    }
    for (const internal of [f.cause.code, '[apiserver-log]', '[node-object]', 'Fix A', 'Fix B']) {
      expect(cli).not.toContain(internal);
      expect(slackText).not.toContain(internal);
    }
  });

  it('each hot object is listed once in the Slack report, with every source that saw it', () => {
    const model = buildReportModel(report);
    expect(model.hottest.map((h) => h.key)).toEqual([...new Set(model.hottest.map((h) => h.key))]);
    expect(slackText.split('*Hottest objects*')).toHaveLength(2);
  });

  const stages: DiagnosisStage[] = ['reading-apiserver-logs', 'reading-node-objects', 'asking-node-agents'];
  it.each(stages)('the stage %s is called the same on stderr and in the job message', (stage) => {
    const event = { stage, detail: 'x' };
    expect(cliProgress(event)).toMatch(new RegExp(`^${STAGE_LABELS[stage]} — x`));
    expect(blocksText(slackProgress(job, event).blocks)).toContain(`*${STAGE_LABELS[stage]}* — x`);
  });
});
