import type { PackedCounts, ScanOptions, SlotRecord } from '../diagnosis/logscan/index.js';
import type { SharedRanges } from './scan-range.js';

/** Messages between scanFiles and its worker threads. */
export interface RangeJob {
  ranges: SharedRanges;
  options: ScanOptions;
  /** Slot records a worker holds before it hands them over (default HANDOVER_BYTES). */
  handoverBytes?: number;
}

/**
 * What a worker's slot records may reach before it hands them over: they grow with the log's
 * length (runs of minutes), and a scan's memory must not. A 1 GiB scan's worker holds about 1 MB.
 */
export const HANDOVER_BYTES = 16 << 20;

export type WorkerMessage =
  /** A worker booted ahead, without a job, has loaded its code and waits for one. */
  | { type: 'ready' }
  | { type: 'progress'; bytes: number }
  /** Slot events recorded so far (SlotRecorder), handed over while the scan goes on. */
  | { type: 'slots'; slots: SlotRecord[] }
  /** The worker's counts, and the rest of its kernel's slot events as records (SlotRecorder). */
  | { type: 'done'; counts: PackedCounts; slots: SlotRecord[] }
  | { type: 'error'; message: string; code: string | null };
