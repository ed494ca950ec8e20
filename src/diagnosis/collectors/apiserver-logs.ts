import { formatBytes } from '../../text/bytes.js';
import { plural } from '../../text/plural.js';
import type { AccessProblem, ActivitySummary, WriteActivityEvidence } from '../types.js';
import type { CollectContext, DiagnosisScope, ScopeCollector } from './collector.js';
import { apiserverLogScannerFactory, type ScannerFactory, type StreamingScanner } from './log-scanners.js';

/** Bounds on one apiserver pod's log: a flood of lines must not take all the memory or time. */
export const APISERVER_LOG_LIMIT_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SINCE_SECONDS = 1800;

/**
 * Reads the kube-apiserver pods' logs through the scanner (unless files were named: see
 * ./log-files.ts). A local cluster without apiserver pods (RKE1, k3s) is not an error: the churn
 * watch is the evidence there. With several apiserver pods their counts are added up into one
 * piece of evidence.
 */
export function apiserverLogsCollector<S extends StreamingScanner>(
  makeFactory: (sinceSeconds: number) => ScannerFactory<S>,
): ScopeCollector {
  return {
    name: 'apiserver pod logs',
    async collect(context) {
      if (context.options.logFiles?.length) return {};
      return { activity: await readApiserverLogs(context, makeFactory) };
    },
  };
}

export const apiserverLogs = apiserverLogsCollector(apiserverLogScannerFactory);

async function readApiserverLogs<S extends StreamingScanner>(
  context: CollectContext<DiagnosisScope>,
  makeFactory: (sinceSeconds: number) => ScannerFactory<S>,
): Promise<WriteActivityEvidence[]> {
  const { options, progress, signal } = context;
  const local = context.ports.local;
  const since = options.sinceSeconds ?? DEFAULT_SINCE_SECONDS;
  const limitBytes = options.apiserverLogLimitBytes ?? APISERVER_LOG_LIMIT_BYTES;
  const factory = makeFactory(since);
  progress({ stage: 'reading-apiserver-logs', detail: 'listing kube-apiserver pods in kube-system' });
  let pods;
  try {
    pods = await local.listApiserverPods(signal);
  } catch (error) {
    context.problem('kube-apiserver pods in kube-system (label component=kube-apiserver)', error);
    return [];
  }
  if (!pods.length) {
    progress({
      stage: 'reading-apiserver-logs',
      detail:
        'no kube-apiserver pods (RKE1 runs it in Docker, k3s in its process): use --log-file or rely on churn',
    });
    return [];
  }
  const read: { name: string; scanner: S; summary: ActivitySummary; cut: boolean }[] = [];
  const unread: string[] = [];
  for (const pod of pods) {
    let bytes = 0;
    let lastReport = 0;
    let scanner: S;
    try {
      scanner = factory.create();
      await local.streamPodLog(
        pod,
        { sinceSeconds: since, limitBytes },
        (chunk) => {
          bytes += chunk.length;
          scanner.push(chunk);
          if (bytes - lastReport >= 16 * 1024 * 1024) {
            lastReport = bytes;
            progress({ stage: 'reading-apiserver-logs', detail: `reading ${pod.metadata.name}`, bytes });
          }
        },
        signal,
      );
      scanner.end();
    } catch (error) {
      context.problem(`log of kube-system/${pod.metadata.name}`, error);
      unread.push(pod.metadata.name);
      continue;
    }
    // The apiserver stops at limitBytes without saying so: a log that reached it was cut there.
    const cut = bytes >= limitBytes;
    if (cut) context.note(cutLogProblem(pod.metadata.name, bytes, since));
    const summary = scanner.summary();
    // With several pods an object is hot on their sum, not on one pod: only the sum says how many.
    const hot = pods.length === 1 ? `, ${plural(summary.hot.length, 'hot object')}` : '';
    progress({
      stage: 'reading-apiserver-logs',
      detail: `${pod.metadata.name}: ${plural(summary.linesRead, 'line')}${hot}${cut ? `, cut at ${formatBytes(bytes)}` : ''}`,
      bytes: summary.bytesRead,
      lines: summary.linesRead,
    });
    read.push({ name: pod.metadata.name, scanner, summary, cut });
  }
  if (!read.length) return [];
  const summary = read.length === 1 ? read[0]!.summary : factory.combine(read.map((r) => r.scanner));
  if (read.length > 1) {
    progress({
      stage: 'reading-apiserver-logs',
      detail: `${read.length} kube-apiserver pods summed: ${plural(summary.requestsCounted, 'request')}, ${plural(summary.hot.length, 'hot object')}`,
      bytes: summary.bytesRead,
      lines: summary.linesRead,
    });
  }
  return [
    {
      source: summary.signal === 'audit' ? 'audit-log' : 'apiserver-pod-logs',
      description: describeLogs(read, unread, since),
      summary,
    },
  ];
}

function describeLogs(read: { name: string; cut: boolean }[], unread: string[], since: number): string {
  const names = read.map((r) => `kube-system/${r.name}${r.cut ? ' (cut)' : ''}`);
  const what =
    names.length === 1
      ? `log of ${names[0]}`
      : `logs of ${names.join(', ')} (summed: each request is served by one apiserver)`;
  const missing = unread.length
    ? `; ${unread.join(', ')} could not be read, so the counts are a lower bound`
    : '';
  return `${what}, last ${since}s${missing}`;
}

/** A log the apiserver cut at limitBytes: the newest part of the window was not read. */
export function cutLogProblem(pod: string, bytes: number, sinceSeconds: number): AccessProblem {
  return {
    target: `log of kube-system/${pod}`,
    status: null,
    message: `the log was cut after ${formatBytes(bytes)} (the read limit): only the oldest part of the last ${sinceSeconds}s was counted, the newest lines were not read`,
    hint: 'rates are from the part read; to count the whole window, use a shorter --since, or copy the log off the control-plane host and scan it with --log-file (files are read whole)',
  };
}
