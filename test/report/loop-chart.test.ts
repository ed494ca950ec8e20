import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanFiles } from '../../src/io/index.js';
import {
  loopChartFromReport,
  loopChartFromSummary,
  loopChartSpec,
  MAX_CHART_SERIES,
} from '../../src/report/loop-chart.js';
import { expectGolden } from '../support/golden.js';
import { reportNoFinding, reportTwoSources, reportWithFinding } from '../slack/fixtures.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const golden = (name: string) => join(ROOT, 'test', 'golden', 'chart', name);
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('the chart of a loop: its data (the pixels are the renderer’s)', () => {
  it('from the shipped sample log: machine-h46dc by the minute, the threshold scan-logs used', async () => {
    const summary = await scanFiles([join(ROOT, 'samples', 'kube-apiserver-rke1.log')], {
      referenceMs: Date.parse('2022-05-08T00:00:00Z'),
    });
    const chart = loopChartFromSummary(summary, { threshold: 60 });
    expectGolden(golden('sample-scan.json'), json(chart));
    expect(chart!.series.map((s) => s.points.map((p) => p.writes))).toEqual([[121, 119, 116]]);
  });

  it('from a report seen by the apiserver logs and the churn watch: a line each, each rule drawn', () => {
    const chart = loopChartFromReport(reportTwoSources);
    expectGolden(golden('report-two-sources.json'), json(chart));
    expect(chart!.thresholds.map((t) => t.writesPerMinute)).toEqual([20, 60]);
    // Only the finding's object: the busy lease is not a finding.
    expect(chart!.series.every((s) => s.label.startsWith('c-dql6k/'))).toBe(true);
  });

  it('one source: no source in the labels, its own rule only', () => {
    const chart = loopChartFromReport(reportWithFinding)!;
    expect(chart.series.map((s) => s.label)).toEqual(['c-dql6k/machine-h46dc']);
    expect(chart.thresholds).toEqual([{ label: 'loop rule: 60/min', writesPerMinute: 60 }]);
  });

  it('nothing hot: no chart', () => {
    expect(loopChartFromReport(reportNoFinding)).toBeNull();
    const quiet = { ...reportWithFinding.activity[0]!.summary, hot: [] };
    expect(loopChartFromSummary(quiet, { threshold: 60 })).toBeNull();
  });

  it(`at most ${MAX_CHART_SERIES} lines, the hottest`, () => {
    const summary = reportWithFinding.activity[0]!.summary;
    const many = Array.from({ length: 9 }, (_, i) => ({
      ...summary.hot[0]!,
      key: `k${i}`,
      rank: i + 1,
      rancherNode: { clusterId: 'c-x', nodeId: `machine-${i}` },
    }));
    const chart = loopChartFromSummary({ ...summary, hot: many }, { threshold: 60 })!;
    expect(chart.series.map((s) => s.label)).toEqual(
      Array.from({ length: MAX_CHART_SERIES }, (_, i) => `c-x/machine-${i}`),
    );
  });

  it('the specification: a line per object, the threshold as a rule with its label, memory below when known', () => {
    const memory = [
      { at: '2026-11-25T05:30:00Z', bytes: 2 * 2 ** 30 },
      { at: '2026-11-25T05:31:00Z', bytes: 3 * 2 ** 30 },
    ];
    const spec = loopChartSpec(loopChartFromReport(reportWithFinding, { memory })!) as {
      vconcat: {
        layer?: { mark: { type: string }; data: { values: unknown[] } }[];
        data?: { values: unknown[] };
      }[];
    };
    const [writes, mem] = spec.vconcat;
    expect(writes!.layer!.map((l) => l.mark.type)).toEqual(['line', 'rule', 'text']);
    expect(writes!.layer![1]!.data.values).toEqual([{ label: 'loop rule: 60/min', writesPerMinute: 60 }]);
    expect(mem!.data!.values).toEqual([
      { minute: '2026-11-25T05:30:00Z', mib: 2048 },
      { minute: '2026-11-25T05:31:00Z', mib: 3072 },
    ]);
    expect(loopChartSpec(loopChartFromReport(reportWithFinding)!)).not.toHaveProperty('vconcat.1');
  });
});
