import type { ScanCountsData, ScanOptions } from '../diagnosis/logscan/index.js';
import type { SharedRanges } from './scan-range.js';

/** Messages between scanFiles and its worker threads. */
export interface RangeJob {
  ranges: SharedRanges;
  options: ScanOptions;
}

export type WorkerMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; counts: ScanCountsData }
  | { type: 'error'; message: string; code: string | null };
