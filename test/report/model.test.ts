import { describe, expect, it } from '@jest/globals';
import { buildReportModel } from '../../src/report/model.js';
import { reportTwoSources, reportWithFinding, reportWithProblems } from '../slack/fixtures.js';

describe('buildReportModel', () => {
  it('names the scope, and says when the churn watch ran shorter than asked', () => {
    const whole = buildReportModel(reportWithFinding).scope;
    expect(whole.label).toBe(reportWithFinding.scope.clusterId ?? 'all 1 cluster');
    expect(whole.watchCutShort).toBeNull();
    const cut = buildReportModel({
      ...reportWithFinding,
      scope: { ...reportWithFinding.scope, clusterId: null, watchSeconds: 45, watchedSeconds: 35 },
    }).scope;
    expect(cut.label).toBe(
      `all ${reportWithFinding.clusters.length} cluster${reportWithFinding.clusters.length === 1 ? '' : 's'}`,
    );
    expect(cut.watchCutShort).toEqual({ watchedSeconds: 35, askedSeconds: 45 });
  });

  it('sums a source over its pods and ranks each hot object by its fastest source', () => {
    const hottest = buildReportModel(reportTwoSources).hottest;
    expect(hottest.map((h) => h.rates.map((r) => `${r.sourceLabel} ${r.writesPerMinute}`))).toEqual([
      ['kube-apiserver pod log 1188.4', 'churn watch 205'],
      ['kube-apiserver pod log 30'],
    ]);
  });

  it('keeps a hint only when it adds to the message', () => {
    const base = reportWithProblems.problems[0]!;
    const model = buildReportModel({
      ...reportWithProblems,
      problems: [
        { ...base, message: 'forbidden: grant get on pods/log', hint: 'grant get on pods/log' },
        { ...base, message: 'forbidden', hint: 'grant get on pods/log' },
        { ...base, message: 'forbidden', hint: '  ' },
      ],
    });
    expect(model.problems.map((p) => p.hint)).toEqual([null, 'grant get on pods/log', null]);
  });

  it('words each rate with its source and unit; reports older than per-source sightings keep the headline rate', () => {
    const older = { ...reportWithFinding.findings[0]!, writeRates: undefined };
    const f = buildReportModel({ ...reportWithFinding, findings: [older] }).findings[0]!;
    expect(f.rate).toMatchObject({ sourceLabel: 'kube-apiserver pod log', counted: '5,400 writes' });
    expect(f.rates).toEqual([f.rate]);
    expect(f.rate!.description).toBeNull();
  });
});
