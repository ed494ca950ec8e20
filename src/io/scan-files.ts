import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { ActivitySummary } from '../diagnosis/types.js';
import {
  LogScanner,
  importCounts,
  summarizeCounts,
  type ScanCounts,
  type ScanOptions,
  type SlotRecord,
} from '../diagnosis/logscan/index.js';
import { inputError, InputError } from './input-error.js';
import { inspectInput, openInputStream, type InputInfo } from './open-input.js';
import { rangeBounds, scanSharedRanges, type SharedRanges } from './scan-range.js';
import { scanReadable } from './scan-readable.js';
import type { RangeJob, WorkerMessage } from './worker-protocol.js';
import { startScanWorker, stopIdleScanWorkers } from './scan-workers.js';
import { DEFAULT_SPLIT_FROM_BYTES, splits } from './split.js';

export { DEFAULT_SPLIT_FROM_BYTES };

export interface ScanFilesOptions extends ScanOptions {
  /** Threads used for one plain file (the calling thread counts as one). Default: the cores. */
  threads?: number;
  /** Plain files from this size on are split across threads. */
  splitFromBytes?: number;
  /** Slot records a worker holds before it hands them over (tests; default HANDOVER_BYTES). */
  handoverBytes?: number;
  stdin?: Readable;
}

export interface ScanProgress {
  path: string;
  /** Bytes of all inputs read so far (decompressed for gzip). */
  bytesDone: number;
  /** Sum of the inputs' sizes on disk; null when unknown (stdin). */
  bytesTotal: number | null;
}

/**
 * Scans log files (and `-` for stdin) into one summary. Inputs are checked first, so that a bad
 * path fails before any time is spent; errors name the file and the problem.
 */
export async function scanFiles(
  paths: string[],
  options: ScanFilesOptions = {},
  onProgress?: (progress: ScanProgress) => void,
): Promise<ActivitySummary> {
  const inputs: InputInfo[] = [];
  for (const path of paths) inputs.push(await inspectInput(path));
  const total = inputs.some((i) => i.size === null)
    ? null
    : inputs.reduce((sum, i) => sum + (i.size ?? 0), 0);
  let done = 0;
  const parts: ScanCounts[] = [];
  try {
    for (const input of inputs) {
      const onBytes = (bytes: number): void => {
        done += bytes;
        onProgress?.({ path: input.path, bytesDone: done, bytesTotal: total });
      };
      // One input: its parts are summarized alone (see scanSplit).
      parts.push(...(await scanInput(input, options, onBytes, inputs.length === 1)));
    }
  } finally {
    stopIdleScanWorkers();
  }
  return summarizeCounts(parts, options);
}

async function scanInput(
  input: InputInfo,
  options: ScanFilesOptions,
  onBytes: (n: number) => void,
  alone: boolean,
): Promise<ScanCounts[]> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const splitFrom = options.splitFromBytes ?? DEFAULT_SPLIT_FROM_BYTES;
  try {
    if (threads > 1 && splits(input, splitFrom)) {
      return await scanSplit(input.path, input.size!, threads, options, onBytes, alone);
    }
    const scanner = new LogScanner(options);
    await scanReadable(openInputStream(input, options.stdin), scanner, onBytes);
    return [scanner.counts];
  } catch (error) {
    throw inputError(input.path, error);
  }
}

/**
 * Worker threads are started first; the calling thread scans ranges meanwhile, and as long as any
 * is left. `alone`: these parts are all the summary reads (one input), so the workers' last
 * records are carried into the one channel it reads (LogScanner.replaySlotsForSummary).
 */
async function scanSplit(
  path: string,
  size: number,
  threads: number,
  options: ScanFilesOptions,
  onBytes: (n: number) => void,
  alone: boolean,
): Promise<ScanCounts[]> {
  const ranges: SharedRanges = {
    path,
    size,
    bounds: rangeBounds(size, threads),
    next: new Int32Array(new SharedArrayBuffer(4)),
  };
  const scanOptions = scanOptionsOnly(options);
  // The workers' slot events are carried into this thread's scanner, whose tallies hold the same
  // objects: they add to them, as a merge would, with no tallies of their own to make and merge.
  // (Records come in messages, so never before the scanner below is made.)
  const replay = (records: SlotRecord[]): void => mine.replaySlots(records);
  // The workers get their jobs first, and start on ranges while this thread makes its scanner.
  const workers: Promise<WorkerCounts>[] = [];
  for (let i = 1; i < threads; i++) {
    const job = { ranges, options: scanOptions, handoverBytes: options.handoverBytes };
    workers.push(scanInWorker(job, path, onBytes, replay));
  }
  const mine = new LogScanner(scanOptions);
  // This thread's own slots go into its tallies while the workers end their last ranges and send
  // their counts (a few ms it would otherwise wait).
  const ownRanges = scanSharedRanges(ranges, mine, { onBytes, yieldBetween: true }).then(() => {
    void mine.counts;
  });
  const [, theirs] = await Promise.all([ownRanges, Promise.all(workers)]);
  const theirCounts = theirs.map((worker) => worker.counts);
  const records = theirs.flatMap((worker) => worker.slots);
  if (alone) mine.replaySlotsForSummary(records, theirCounts);
  else replay(records);
  return [mine.counts, ...theirCounts];
}

/** Plain data only crosses to a worker (no stdin stream, no functions). */
function scanOptionsOnly(options: ScanFilesOptions): ScanOptions {
  return {
    sinceMs: options.sinceMs ?? null,
    referenceMs: options.referenceMs ?? Date.now(),
    maxLineBytes: options.maxLineBytes,
    maxMinutes: options.maxMinutes,
    threshold: options.threshold,
    farAboveFactor: options.farAboveFactor,
  };
}

/** What a worker hands back: its counts, and its kernel's slot events as records (SlotRecorder). */
interface WorkerCounts {
  counts: ScanCounts;
  slots: SlotRecord[];
}

function scanInWorker(
  job: RangeJob,
  path: string,
  onBytes: (n: number) => void,
  onSlots: (records: SlotRecord[]) => void,
): Promise<WorkerCounts> {
  return new Promise((resolve, reject) => {
    const worker = startScanWorker(job);
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') return;
      if (message.type === 'progress') onBytes(message.bytes);
      else if (message.type === 'slots') onSlots(message.slots);
      else if (message.type === 'done') {
        settled = true;
        resolve({ counts: importCounts(message.counts, job.options), slots: message.slots });
        void worker.terminate();
      } else {
        settled = true;
        reject(Object.assign(new Error(message.message), { code: message.code ?? undefined }));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new InputError(path, `scan worker stopped with exit code ${code}`));
      settled = true;
    });
  });
}
