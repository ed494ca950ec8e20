import type { ClusterAccess } from '../rancher/access.js';
import type { DiagnoseOptions } from './run.js';
import { problemFrom } from './problems.js';
import type { AccessProblem, ActivitySummary, ProgressReporter, WriteActivityEvidence } from './types.js';

/** What the diagnosis needs of the log scanner: fed chunk by chunk, summarised at the end. */
export interface StreamingScanner {
  push(chunk: Buffer): void;
  end(): void;
  summary(): ActivitySummary;
}

export type ScannerFactory = () => StreamingScanner;

/** Bounds on one apiserver pod's log: a flood of lines must not take all the memory or time. */
export const APISERVER_LOG_LIMIT_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SINCE_SECONDS = 1800;

/**
 * Reads the kube-apiserver pods' logs (or the given files) through the scanner. A local cluster
 * without apiserver pods (RKE1, k3s) is not an error: the churn watch is the evidence there.
 */
export async function gatherLogEvidence(
  access: ClusterAccess,
  options: DiagnoseOptions,
  problems: AccessProblem[],
  progress: ProgressReporter,
  createScanner: ScannerFactory,
  scanFiles: (files: string[], progress: ProgressReporter) => Promise<WriteActivityEvidence[]>,
): Promise<WriteActivityEvidence[]> {
  if (options.logFiles?.length) return scanFiles(options.logFiles, progress);
  const since = options.sinceSeconds ?? DEFAULT_SINCE_SECONDS;
  progress({ stage: 'reading-apiserver-logs', detail: 'listing kube-apiserver pods in kube-system' });
  let pods;
  try {
    pods = await access.listApiserverPods(options.signal);
  } catch (error) {
    problems.push(problemFrom('kube-apiserver pods in kube-system (label component=kube-apiserver)', error));
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
  const evidence: WriteActivityEvidence[] = [];
  for (const pod of pods) {
    let bytes = 0;
    let lastReport = 0;
    let scanner: StreamingScanner;
    try {
      scanner = createScanner();
      await access.streamPodLog(
        pod,
        { sinceSeconds: since, limitBytes: APISERVER_LOG_LIMIT_BYTES },
        (chunk) => {
          bytes += chunk.length;
          scanner.push(chunk);
          if (bytes - lastReport >= 16 * 1024 * 1024) {
            lastReport = bytes;
            progress({ stage: 'reading-apiserver-logs', detail: `reading ${pod.metadata.name}`, bytes });
          }
        },
        options.signal,
      );
      scanner.end();
    } catch (error) {
      problems.push(problemFrom(`log of kube-system/${pod.metadata.name}`, error));
      continue;
    }
    const summary = scanner.summary();
    progress({
      stage: 'reading-apiserver-logs',
      detail: `${pod.metadata.name}: ${summary.linesRead} lines, ${summary.hot.length} hot object(s)`,
      bytes: summary.bytesRead,
      lines: summary.linesRead,
    });
    evidence.push({
      source: summary.signal === 'audit' ? 'audit-log' : 'apiserver-pod-logs',
      description: `log of kube-system/${pod.metadata.name}, last ${since}s`,
      summary,
    });
  }
  return evidence;
}
