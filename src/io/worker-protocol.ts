import type { PackedCounts, ScanOptions, SlotRecord } from '../diagnosis/logscan/index.js';
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
  /** The worker's counts, and its kernel's slot events as records (SlotRecorder) to carry in here. */
  | { type: 'done'; counts: PackedCounts; slots: SlotRecord[] }
  | { type: 'error'; message: string; code: string | null };
