import type { Command } from 'commander';
import { DEFAULT_FAR_ABOVE_FACTOR, DEFAULT_THRESHOLD } from '../diagnosis/logscan/index.js';
import { renderActivityTable } from '../report/render-activity.js';
import type { ActivitySummary } from '../diagnosis/types.js';
import { UsageError } from '../errors.js';
import { scanLogs } from '../app/scan-logs.js';
import { parseDurationSeconds } from '../text/duration.js';
import { createProgressBar, PROGRESS_FROM_BYTES } from './progress-bar.js';
import { terminalStderr } from './standard-output.js';
import { EXIT } from './exit-codes.js';

export const DEFAULT_TOP = 10;

export interface ScanLogsFlags {
  json?: boolean;
  top?: string;
  since?: string;
  threshold?: string;
  chart?: string;
}

/** What `scan-logs --json` prints: the scan's summary, with the inputs and the rule that made objects hot. */
export interface ScanLogsJson extends ActivitySummary {
  inputs: string[];
  since: string | null;
  threshold: number;
  farAboveFactor: number;
  /** Hot objects found; `hot` holds the first `--top` of them. */
  hotTotal: number;
}

function positiveInteger(option: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`${option}: "${value}" is not a whole number of 1 or more`);
  }
  return Number(value);
}

function positiveNumber(option: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${option}: "${value}" is not a number above 0 (writes per minute)`);
  }
  return n;
}

/** --since takes a duration back from now (30m, 2h) or an instant (2022-05-07T08:00:00Z). */
export function parseSince(value: string, nowMs: number): number {
  const seconds = parseDurationSeconds(value);
  if (seconds !== null && seconds > 0) return nowMs - seconds * 1000;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `--since: "${value}" is neither a duration (30m, 2h, 1h30m) nor a time such as 2022-05-07T08:00:00Z`,
  );
}

export function registerScanLogs(program: Command): void {
  program
    .command('scan-logs')
    .description(
      'Find objects written in a loop in kube-apiserver logs or audit logs (Docker json-file, CRI, klog, audit; gzip read as is; - for stdin)',
    )
    .argument('<file...>', 'log files; - reads standard input')
    .option('--json', 'print the summary as JSON (schema in the README)')
    .option('--top <n>', 'show at most this many hot objects', String(DEFAULT_TOP))
    .option('--since <duration|time>', 'leave out requests before this: 30m or 2h back from now, or a time')
    .option(
      '--threshold <writes/min>',
      'an object is hot from this many writes per minute',
      String(DEFAULT_THRESHOLD),
    )
    .option('--chart <file.png>', 'also draw the writes per minute of the hot objects to this PNG')
    .action(async (files: string[], flags: ScanLogsFlags) => {
      const scan = await scanAndPrint(files, flags);
      if (flags.chart !== undefined) {
        // Loaded only for a chart: the renderer (a native module among it) costs start-up time.
        const [{ loopChartFromSummary }, { writeChart }] = await Promise.all([
          import('../report/loop-chart.js'),
          import('./chart-file.js'),
        ]);
        const chart = loopChartFromSummary(scan.summary, { threshold: scan.threshold, maxSeries: scan.top });
        await writeChart(flags.chart, chart);
      }
      process.exitCode = scan.code;
    });
}

/** A scan as printed, and the exit code it ends with. */
export interface PrintedScan {
  summary: ActivitySummary;
  threshold: number;
  top: number;
  code: number;
}

/**
 * `scan-logs` once its arguments are read, but for --chart: scans and prints (`print`: the report,
 * to process.stdout unless the caller writes it otherwise). Apart from the command (plain-scan.ts
 * runs it without commander), so it loads nothing a chart needs.
 */
export async function scanAndPrint(
  files: string[],
  flags: ScanLogsFlags,
  print: (text: string) => void = (text) => void process.stdout.write(text),
): Promise<PrintedScan> {
  const now = Date.now();
  const top = positiveInteger('--top', flags.top ?? String(DEFAULT_TOP));
  const threshold = positiveNumber('--threshold', flags.threshold ?? String(DEFAULT_THRESHOLD));
  const sinceMs = flags.since === undefined ? null : parseSince(flags.since, now);
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('- (standard input) can be read once');

  const terminal = terminalStderr();
  const bar = terminal ? createProgressBar(terminal) : null;
  const summary = await scanLogs(
    files,
    { sinceMs, referenceMs: now, threshold, farAboveFactor: DEFAULT_FAR_ABOVE_FACTOR },
    (p) => {
      if (bar && (p.bytesTotal ?? p.bytesDone) >= PROGRESS_FROM_BYTES) bar.update(p);
    },
  ).finally(() => bar?.clear());

  const since = sinceMs === null ? null : new Date(sinceMs).toISOString();
  if (flags.json) {
    const json: ScanLogsJson = {
      inputs: files,
      since,
      threshold,
      farAboveFactor: DEFAULT_FAR_ABOVE_FACTOR,
      ...summary,
      hotTotal: summary.hot.length,
      hot: summary.hot.slice(0, top),
    };
    print(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    print(
      renderActivityTable(summary, {
        inputs: files,
        threshold,
        farAboveFactor: DEFAULT_FAR_ABOVE_FACTOR,
        top,
        since,
      }),
    );
  }
  return { summary, threshold, top, code: summary.hot.length > 0 ? EXIT.found : EXIT.clean };
}
