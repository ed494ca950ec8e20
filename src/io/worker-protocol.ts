import type { PackedCounts, ScanOptions } from '../diagnosis/logscan/index.js';
import type { SharedRanges } from './scan-range.js';

/** Messages between scanFiles and its worker threads. */
export interface RangeJob {
  ranges: SharedRanges;
  options: ScanOptions;
}

export type WorkerMessage =
  /** A worker booted ahead, without a job, has loaded its code and waits for one. */
  | { type: 'ready' }
  | { type: 'progress'; bytes: number }
  | { type: 'done'; counts: PackedCounts }
  | { type: 'error'; message: string; code: string | null };
