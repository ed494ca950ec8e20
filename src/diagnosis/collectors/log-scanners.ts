import {
  createLogScanner,
  summarizeCounts,
  type LogScannerHandle,
  type ScanOptions,
} from '../logscan/index.js';
import type { ActivitySummary } from '../types.js';

/** What the log collectors need of the log scanner: fed chunk by chunk, summarised at the end. */
export interface StreamingScanner {
  push(chunk: Buffer): void;
  end(): void;
  summary(): ActivitySummary;
}

/** Makes one scanner per log, and sums several logs' counts into one summary. */
export interface ScannerFactory<S extends StreamingScanner = StreamingScanner> {
  create(): S;
  /**
   * One summary of several logs (one per kube-apiserver pod): each request is served by one
   * apiserver, so an object's writes are the sum over the pods, and objects are ranked on the sum.
   */
  combine(scanners: S[]): ActivitySummary;
}

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
