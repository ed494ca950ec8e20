import type { ActivitySummary, DiagnosisReport, EvidenceSource, HotObject } from '../diagnosis/types.js';
import { CHURN_LOOP_RULE, LOG_LOOP_RULE } from '../diagnosis/loop-rule.js';
import { SOURCE_LABELS } from './vocabulary.js';

/**
 * "A picture of the loop": the writes per minute of each hot object over the window observed, with
 * the loop rule's threshold, as plain data (what the chart shows, tested as a golden) and as a
 * Vega-Lite specification of it (drawn to PNG at an edge, src/chart/). Pure.
 */

export interface LoopChartPoint {
  /** The minute's start, ISO-8601. */
  minute: string;
  writes: number;
}

export interface LoopChartSeries {
  /** What the legend says: the object and, when several sources are drawn, which one counted it. */
  label: string;
  source: EvidenceSource | null;
  points: LoopChartPoint[];
}

export interface LoopChartThreshold {
  label: string;
  writesPerMinute: number;
}

/** The apiserver's memory at one time, when something measured it. */
export interface MemorySample {
  at: string;
  bytes: number;
}

export interface LoopChart {
  title: string;
  subtitle: string;
  series: LoopChartSeries[];
  thresholds: LoopChartThreshold[];
  /** Drawn under the writes when known; null otherwise. */
  memory: MemorySample[] | null;
}

/** More lines than this make a chart nobody reads: the hottest are drawn. */
export const MAX_CHART_SERIES = 6;

const LEGEND_LABEL_CHARS = 60;

function objectName(h: HotObject): string {
  if (h.rancherNode) return `${h.rancherNode.clusterId}/${h.rancherNode.nodeId}`;
  const where = h.ref.namespace ? `${h.ref.namespace}/${h.ref.name}` : h.ref.name;
  return `${h.ref.resource} ${where}${h.ref.subresource ? `/${h.ref.subresource}` : ''}`;
}

function points(h: HotObject): LoopChartPoint[] {
  if (h.perMinuteStart === null) return [];
  const start = Date.parse(h.perMinuteStart);
  return h.perMinute.map((writes, i) => ({ minute: new Date(start + i * 60_000).toISOString(), writes }));
}

const shortTime = (iso: string | null): string => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '?');

/** From the first minute drawn to the last (a scan's window when it is the whole chart's). */
function windowWords(start: string | null, end: string | null): string {
  return `${shortTime(start)} to ${shortTime(end)}`;
}

/** The chart of one log scan (`scan-logs --chart`); null when nothing is hot. */
export function loopChartFromSummary(
  summary: ActivitySummary,
  options: { threshold: number; maxSeries?: number },
): LoopChart | null {
  const hot = summary.hot
    .filter((h) => h.perMinute.length > 0)
    .slice(0, options.maxSeries ?? MAX_CHART_SERIES);
  if (hot.length === 0) return null;
  return {
    title: 'Writes per minute of the objects written in a loop',
    subtitle: `apiserver logs, ${windowWords(summary.windowStart, summary.windowEnd)}`,
    series: hot.map((h) => ({ label: objectName(h), source: null, points: points(h) })),
    thresholds: [{ label: `loop rule: ${options.threshold}/min`, writesPerMinute: options.threshold }],
    memory: null,
  };
}

/** The threshold of the loop rule each source is judged by. */
function ruleFor(source: EvidenceSource): number {
  return source === 'churn' ? CHURN_LOOP_RULE.minWritesPerMinute : LOG_LOOP_RULE.minWritesPerMinute;
}

/**
 * The chart of a diagnosis (`diagnose --chart`, the Slack thread): each finding's object as each
 * source counted it, hottest first; null when nothing is hot or no source counted by the minute.
 */
export function loopChartFromReport(
  report: DiagnosisReport,
  options: { maxSeries?: number; memory?: MemorySample[] | null } = {},
): LoopChart | null {
  const wanted = new Set(report.findings.map((f) => f.objectKey));
  const drawn: { source: EvidenceSource; hot: HotObject }[] = [];
  for (const evidence of report.activity) {
    for (const h of evidence.summary.hot) {
      if (h.perMinute.length > 0 && (wanted.size === 0 || wanted.has(h.key))) {
        drawn.push({ source: evidence.source, hot: h });
      }
    }
  }
  drawn.sort((a, b) => b.hot.writesPerMinute - a.hot.writesPerMinute || a.hot.key.localeCompare(b.hot.key));
  const shown = drawn.slice(0, options.maxSeries ?? MAX_CHART_SERIES);
  if (shown.length === 0) return null;
  const sources = [...new Set(shown.map((d) => d.source))];
  const several = sources.length > 1;
  const minutes = shown.flatMap((d) => points(d.hot).map((p) => p.minute)).sort();
  const memory = options.memory && options.memory.length ? options.memory : null;
  return {
    title: 'Writes per minute of the objects written in a loop',
    subtitle: `${sources.map((s) => SOURCE_LABELS[s]).join(', ')}, ${windowWords(minutes[0] ?? null, minutes[minutes.length - 1] ?? null)}`,
    series: shown.map(({ source, hot }) => ({
      label: several ? `${objectName(hot)} (${SOURCE_LABELS[source]})` : objectName(hot),
      source,
      points: points(hot),
    })),
    thresholds: [...new Set(sources.map(ruleFor))]
      .sort((a, b) => a - b)
      .map((n) => ({
        label: `loop rule${
          several
            ? `, ${sources
                .filter((s) => ruleFor(s) === n)
                .map((s) => SOURCE_LABELS[s])
                .join(', ')}`
            : ''
        }: ${n}/min`,
        writesPerMinute: n,
      })),
    memory,
  };
}

const WIDTH = 720;
const HEIGHT = 320;
const FONT = 'DejaVu Sans';

/**
 * The chart as a Vega-Lite specification: one line per series (a point on every minute, so that a
 * one-minute watch still shows), each threshold a dashed red rule with its label, the memory (when
 * known) in a panel below on the same time axis. Times are drawn in UTC, as the report gives them.
 */
export function loopChartSpec(chart: LoopChart): Record<string, unknown> {
  const writes = chart.series.flatMap((s) =>
    s.points.map((p) => ({
      series: s.label.slice(0, LEGEND_LABEL_CHARS),
      minute: p.minute,
      writes: p.writes,
    })),
  );
  const minutes = [...new Set(writes.map((w) => w.minute))].sort();
  const time = {
    field: 'minute',
    type: 'temporal',
    // By the minute: the ticks fall on whole minutes, never between two that read the same.
    timeUnit: 'utcyearmonthdatehoursminutes',
    axis: {
      title: 'time (UTC)',
      format: '%H:%M',
      labelAngle: 0,
      // A few minutes would otherwise get a tick every half minute, two reading the same.
      ...(minutes.length <= 12 ? { values: minutes.map((m) => Date.parse(m)) } : {}),
    },
  };
  const top = Math.max(...writes.map((w) => w.writes), ...chart.thresholds.map((t) => t.writesPerMinute));
  const writesPanel = {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: writes },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: time,
          y: {
            field: 'writes',
            type: 'quantitative',
            title: 'writes per minute',
            scale: { domain: [0, Math.ceil(top * 1.1)] },
          },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 },
          },
        },
      },
      {
        data: { values: chart.thresholds },
        mark: { type: 'rule', color: '#d62728', strokeDash: [8, 4], strokeWidth: 2 },
        encoding: { y: { field: 'writesPerMinute', type: 'quantitative' } },
      },
      // Each rule's label above it, at the left and the right in turn, so that two close rules
      // (the churn watch's and the logs') do not print one label over the other.
      ...chart.thresholds.map((t, i) => ({
        data: { values: [t] },
        mark: {
          type: 'text',
          align: i % 2 ? 'right' : 'left',
          dx: i % 2 ? -4 : 4,
          dy: -8,
          color: '#d62728',
          fontSize: 12,
        },
        encoding: {
          x: { value: i % 2 ? WIDTH : 0 },
          y: { field: 'writesPerMinute', type: 'quantitative' },
          text: { field: 'label' },
        },
      })),
    ],
  };
  const panels: Record<string, unknown>[] = [writesPanel];
  if (chart.memory) {
    panels.push({
      width: WIDTH,
      height: HEIGHT / 2,
      data: { values: chart.memory.map((m) => ({ minute: m.at, mib: Math.round(m.bytes / 2 ** 20) })) },
      mark: { type: 'line', point: true },
      encoding: {
        x: time,
        color: { value: '#7f7f7f' },
        y: { field: 'mib', type: 'quantitative', title: 'apiserver memory (MiB)' },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chart.title, subtitle: chart.subtitle, anchor: 'start' },
    background: 'white',
    padding: 12,
    vconcat: panels,
    config: {
      font: FONT,
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12 },
      title: { fontSize: 16, subtitleFontSize: 12 },
    },
  };
}
