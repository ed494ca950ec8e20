import type { ScanCountsData, ScanOptions } from '../diagnosis/logscan/index.js';

/** Messages between scanFiles and its worker threads. */
export interface RangeJob {
  path: string;
  start: number;
  end: number;
  options: ScanOptions;
}

export type WorkerMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; counts: ScanCountsData }
  | { type: 'error'; message: string; code: string | null };
