/**
 * kube-apiserver log scanner: pure, bytes in, counts out (no I/O here; files, stdin and pod log
 * streams are read by src/io).
 *
 * API for callers:
 *   const scanner = createLogScanner({ sinceMs, referenceMs, threshold, farAboveFactor });
 *   scanner.push(chunk: Buffer)   // any chunking; lines may span chunks
 *   scanner.end()                 // flushes a last line without newline
 *   scanner.summary(): ActivitySummary   // see src/diagnosis/types.ts; callable after end()
 *   scanner.counts / exportCounts() / summarizeCounts(): raw counts, and the summary of several (worker threads)
 *   LogScanner.readBuffer() / pushRead(n): read a file straight into the scanner (no copy)
 *
 * From src/io (I/O side):
 *   scanFiles(paths, options, onProgress?) -> ActivitySummary   // gzip by magic bytes, '-' = stdin,
 *                                    large plain files split across worker threads
 *   scanReadable(readable, scanner)  -> Promise<void>          // e.g. a pod log stream
 *
 * Formats are recognised per line: Docker json-file, CRI (P partials joined), plain klog, audit
 * Event JSON lines. Request signals: audit (ResponseComplete), httplog ("HTTP" verb=... URI=...),
 * satisfied-by (handler.go lines of one apiserver component). One signal is counted
 * (audit > httplog > satisfied-by) and named in ActivitySummary.signal.
 */
import type { ActivitySummary } from '../types.js';
import { LogScanner, type LogScanOptions } from './scanner.js';
import type { ScanCounts } from './scan-counts.js';
import type { SlotRecord } from './slot-record.js';
import { summarize, type HotOptions } from './summary.js';
import { mergeForSummary, packCounts, unpackCounts, type PackedCounts } from './counts.js';
import { DEFAULT_MAX_MINUTES } from './tally.js';

export type ScanOptions = LogScanOptions & HotOptions;

export interface LogScannerHandle {
  push(chunk: Buffer): void;
  end(): void;
  summary(): ActivitySummary;
  readonly counts: ScanCounts;
}

export function createLogScanner(options: ScanOptions = {}): LogScannerHandle {
  const scanner = new LogScanner(options);
  return {
    push: (chunk) => scanner.push(chunk),
    end: () => scanner.end(),
    summary: () => summarize(scanner.counts, options),
    get counts() {
      return scanner.counts;
    },
  };
}

/** Summary of counts gathered apart (several files, byte ranges scanned by workers). */
export function summarizeCounts(parts: ScanCounts[], options: ScanOptions = {}): ActivitySummary {
  const [first, ...rest] = parts;
  if (first === undefined) return summarize(new LogScanner(options).counts, options);
  if (rest.length === 0) return summarize(first, options);
  return summarize(mergeForSummary(parts, options.maxMinutes ?? DEFAULT_MAX_MINUTES), options);
}

/** Counts for postMessage: post `packed` with `transfer` as the transfer list. */
export function exportCounts(counts: ScanCounts): { packed: PackedCounts; transfer: ArrayBuffer[] } {
  return packCounts(counts);
}

export function importCounts(packed: PackedCounts, options: ScanOptions = {}): ScanCounts {
  return unpackCounts(packed, options.maxMinutes ?? DEFAULT_MAX_MINUTES);
}

export { LogScanner, summarize };
export type { LogScanOptions, ScanCounts, PackedCounts, HotOptions, SlotRecord };
export { DEFAULT_THRESHOLD, DEFAULT_FAR_ABOVE_FACTOR } from './summary.js';
export { parseRequestPath, canonicalKey } from './request-path.js';
