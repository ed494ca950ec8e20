import type { ActivitySummary, HotObject, ObjectRef } from '../diagnosis/types.js';
import { formatBytes } from '../text/bytes.js';
import { SCAN_SIGNAL_LABELS } from './vocabulary.js';

/** A log scan's result as a table for a terminal (`rancher-doctor scan-logs`). Pure. */

export interface ActivityTableOptions {
  inputs: string[];
  threshold: number;
  farAboveFactor: number;
  top: number;
  since: string | null;
}

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
export const SPARKLINE_WIDTH = 30;

/**
 * Per-minute counts as a sparkline at most `width` wide: adjacent minutes are summed into one
 * mark when there are more minutes than marks. A minute with no write is a blank, so a pause in
 * the loop shows.
 */
export function sparkline(perMinute: readonly number[], width = SPARKLINE_WIDTH): string {
  if (perMinute.length === 0) return '';
  const per = Math.ceil(perMinute.length / width);
  const buckets: number[] = [];
  for (let i = 0; i < perMinute.length; i += per) {
    buckets.push(perMinute.slice(i, i + per).reduce((a, b) => a + b, 0));
  }
  const max = Math.max(...buckets);
  return buckets
    .map((v) => (v === 0 ? ' ' : SPARK[Math.max(0, Math.ceil((v / max) * SPARK.length) - 1)]))
    .join('');
}

/** `nodes.management.cattle.io c-dql6k/machine-h46dc`, with `/status` for a subresource. */
export function objectLabel(ref: ObjectRef): string {
  const kind = ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
  const where = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  return `${kind} ${where}${ref.subresource ? `/${ref.subresource}` : ''}`;
}

/** 2022-05-07T08:24:37.493Z -> 2022-05-07 08:24:37Z: seconds are enough for a person. */
const shortTime = (iso: string | null): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '-');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function hotRow(h: HotObject): string[] {
  return [
    String(h.rank),
    objectLabel(h.ref),
    h.rancherNode?.clusterId ?? '-',
    h.rancherNode?.nodeId ?? '-',
    h.writes.toLocaleString('en-US'),
    `${h.lowerBound ? '>=' : ''}${h.writesPerMinute.toFixed(1)}`,
    shortTime(h.firstSeen),
    shortTime(h.lastSeen),
    sparkline(h.perMinute),
  ];
}

export function renderActivityTable(summary: ActivitySummary, options: ActivityTableOptions): string {
  const out: string[] = [];
  const files = options.inputs.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
  out.push(
    `Scanned ${files}: ${formatBytes(summary.bytesRead)}, ${summary.linesRead.toLocaleString('en-US')} lines` +
      ` (${summary.linesSkipped.toLocaleString('en-US')} not request lines).`,
  );
  const formats = Object.entries(summary.formats)
    .map(([format, lines]) => `${format} ${lines.toLocaleString('en-US')}`)
    .join(', ');
  if (formats) out.push(`Formats: ${formats} lines.`);
  if (summary.signal === null) {
    out.push(
      'No request lines found. kube-apiserver logs them only at -v=5 and up (satisfied-by) or with',
      'httplog access lines; otherwise use the audit log, or `rancher-doctor diagnose` to watch the',
      "objects' churn.",
    );
    return `${out.join('\n')}\n`;
  }
  const others = Object.entries(summary.signalsSeen)
    .filter(([signal]) => signal !== summary.signal)
    .map(([signal, n]) => `${signal} ${n.toLocaleString('en-US')}`);
  out.push(
    `Counted ${SCAN_SIGNAL_LABELS[summary.signal]}: ${summary.requestsCounted.toLocaleString('en-US')} requests` +
      ` on ${summary.distinctObjects.toLocaleString('en-US')} object${summary.distinctObjects === 1 ? '' : 's'}` +
      `${others.length ? ` (also seen, not counted again: ${others.join(', ')} lines)` : ''}.`,
  );
  out.push(
    `Window: ${shortTime(summary.windowStart)} to ${shortTime(summary.windowEnd)}` +
      `${options.since ? ` (requests before ${shortTime(options.since)} left out)` : ''}.`,
  );
  out.push('');
  const rule = `over ${options.threshold} writes/min and ${options.farAboveFactor}x the typical writer`;
  if (summary.hot.length === 0) {
    out.push(`No object is written in a loop (${rule}).`);
    return `${out.join('\n')}\n`;
  }
  const shown = summary.hot.slice(0, options.top);
  out.push(
    `${summary.hot.length} hot object${summary.hot.length === 1 ? '' : 's'} (${rule})` +
      `${shown.length < summary.hot.length ? `, the ${shown.length} hottest shown (--top)` : ''}:`,
  );
  out.push('');
  const header = [
    '#',
    'OBJECT',
    'CLUSTER',
    'NODE',
    'WRITES',
    'PER MIN',
    'FIRST SEEN',
    'LAST SEEN',
    'WRITES BY MINUTE',
  ];
  out.push(...table(header, shown.map(hotRow)).map((l) => `  ${l}`));
  if (shown.some((h) => h.lowerBound))
    out.push('  (>= : too few writes to measure a rate: they came at least that fast)');
  const clusters = [...new Set(shown.flatMap((h) => (h.rancherNode ? [h.rancherNode.clusterId] : [])))];
  if (clusters.length) {
    out.push('');
    const files = options.inputs.filter((p) => p !== '-');
    const logFiles = files.length ? ` --log-file ${files.join(' ')}` : '';
    out.push('Next, with access to the Rancher local cluster, for the cause and both fixes:');
    for (const id of clusters) out.push(`  rancher-doctor diagnose --cluster ${id}${logFiles}`);
  }
  return `${out.join('\n')}\n`;
}
