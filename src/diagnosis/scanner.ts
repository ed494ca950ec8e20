import { scanFiles } from '../io/index.js';
import {
  createLogScanner,
  summarizeCounts,
  type LogScannerHandle,
  type ScanOptions,
} from './logscan/index.js';
import type { ScannerFactory } from './log-evidence.js';
import type { ProgressReporter, WriteActivityEvidence } from './types.js';
import { plural } from '../text/plural.js';

/** Adapter between the diagnosis and the log scanner (src/diagnosis/logscan, src/io). */

/** Scanners for the apiserver pods' logs, counting from `sinceSeconds` ago, and their sum. */
export function apiserverLogScannerFactory(sinceSeconds: number): ScannerFactory<LogScannerHandle> {
  const options = (): ScanOptions => {
    const now = Date.now();
    return { sinceMs: now - sinceSeconds * 1000, referenceMs: now };
  };
  return {
    create: () => createLogScanner(options()),
    // Counts of several pods add up (summarizeCounts); the hot objects are then ranked on the sums.
    combine: (scanners) =>
      summarizeCounts(
        scanners.map((s) => s.counts),
        options(),
      ),
  };
}

/**
 * Files a person names (an RKE1 host's Docker json-file, a CRI log, an audit log) are scanned
 * whole: they chose the window by choosing the files, and an old incident's log must not be cut
 * by --since.
 */
export async function scanLogFiles(
  files: string[],
  progress: ProgressReporter,
): Promise<WriteActivityEvidence[]> {
  progress({ stage: 'reading-apiserver-logs', detail: `scanning ${files.join(', ')}` });
  let lastReport = 0;
  const summary = await scanFiles(files, {}, (p) => {
    if (p.bytesDone - lastReport >= 64 * 1024 * 1024) {
      lastReport = p.bytesDone;
      progress({ stage: 'reading-apiserver-logs', detail: `scanning ${p.path}`, bytes: p.bytesDone });
    }
  });
  progress({
    stage: 'reading-apiserver-logs',
    detail: `${plural(summary.linesRead, 'line')}, ${plural(summary.hot.length, 'hot object')}`,
    bytes: summary.bytesRead,
    lines: summary.linesRead,
  });
  return [
    {
      source: summary.signal === 'audit' ? 'audit-log' : 'log-files',
      description: `log file${files.length === 1 ? '' : 's'} ${files.join(', ')}`,
      summary,
    },
  ];
}
