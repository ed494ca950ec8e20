import { closeSync, openSync, readSync } from 'node:fs';
import type { LogScanner } from '../diagnosis/logscan/index.js';
import { cutAfter } from './byte-ranges.js';

/**
 * Each read is scanned whole by the kernel before the next, so every read costs a system call and
 * a pass through the scanner's per-read work (the kernel's call, its first-of-kind events, the
 * unfinished line moved to the front). Measured on a 1 GiB RKE1 log split across two threads, mean
 * of 6 runs: 128 KiB reads 0.54 s wall, 0.78 s user; 512 KiB 0.44 s, 0.62 s; 768 KiB, 1 MiB and
 * 1.5 MiB (with a 2 MiB kernel input) no better than 512 KiB. Half the kernel's 1 MiB input, so
 * that a read still fits beside a long unfinished line.
 */
export const READ_CHUNK_BYTES = 512 << 10;
/** Bytes between progress reports. */
const PROGRESS_BYTES = 4 << 20;

/**
 * The ranges of a file shared by the threads that scan it: range i runs from the cut after
 * `bounds[i]` to the cut after `bounds[i + 1]` (see rangeBounds), and `next[0]` is the next range
 * to take (Atomics), so that a thread that is done early (or started early) takes more.
 */
export interface SharedRanges {
  path: string;
  size: number;
  /** Byte offsets, 0 first and `size` last, rising. */
  bounds: number[];
  next: Int32Array;
}

/** The largest range, and the smallest the last ones shrink to. */
export const RANGE_BYTES = 32 << 20;
const LAST_RANGE_BYTES = 2 << 20;

/**
 * Bounds of the ranges a file of `size` bytes is cut into for `threads` threads. Ranges are
 * handed out as the threads ask, so they should be small enough that the threads finish together
 * (one may start late, or run on a core busy with other work), and large enough that working out
 * their edges costs nothing. So: RANGE_BYTES each, then smaller and smaller, each a quarter of
 * what is left per thread, down to LAST_RANGE_BYTES (or a quarter of a thread's share of a small
 * file). With equal ranges of 32 MiB the threads of a 1 GiB scan ended up to a range (15 ms) apart.
 */
export function rangeBounds(size: number, threads: number): number[] {
  const perThread = 4 * Math.max(1, threads);
  // A small file still gets a few ranges per thread.
  const smallest = Math.max(1, Math.min(LAST_RANGE_BYTES, Math.floor(size / perThread)));
  const bounds = [0];
  let at = 0;
  while (at < size) {
    const share = Math.ceil((size - at) / perThread);
    const length = Math.min(RANGE_BYTES, Math.max(smallest, share));
    at = Math.min(size, at + length);
    bounds.push(at);
  }
  return bounds;
}

/** How a thread takes part in a shared scan. */
export interface RangeScanOptions {
  onBytes?: (bytes: number) => void;
  /** Give way to the event loop between ranges (the calling thread: workers' messages come in). */
  yieldBetween?: boolean;
  /** After each range (a worker hands over what it has recorded). */
  afterRange?: (scanner: LogScanner) => void;
}

/**
 * Takes ranges from `shared` until none is left, scanning each as a scanner of its own would
 * (LogScanner.endRange), with `scanner`, and ends it. Reads are synchronous: on a
 * worker nothing else waits, and on the calling thread the loop gives way between ranges when
 * `yieldBetween` is set.
 */
export async function scanSharedRanges(
  shared: SharedRanges,
  scanner: LogScanner,
  { onBytes, yieldBetween = false, afterRange }: RangeScanOptions = {},
): Promise<void> {
  const fd = openSync(shared.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { size, bounds } = shared;
    const parts = bounds.length - 1;
    for (;;) {
      const i = Atomics.add(shared.next, 0, 1);
      if (i >= parts) break;
      const start = cutAfter(fd, bounds[i]!, size, buf);
      const end = i + 1 === parts ? size : cutAfter(fd, bounds[i + 1]!, size, buf);
      if (end > start) {
        pushRange(fd, start, end, scanner, buf, onBytes);
        scanner.endRange();
      }
      afterRange?.(scanner);
      if (yieldBetween) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    scanner.end();
  } finally {
    closeSync(fd);
  }
}

function pushRange(
  fd: number,
  start: number,
  end: number,
  scanner: LogScanner,
  buf: Buffer,
  onBytes?: (bytes: number) => void,
): void {
  let position = start;
  let unreported = 0;
  while (position < end) {
    // Read straight into the scanner's kernel where it has one: the bytes are then not copied.
    const target = scanner.readBuffer() ?? buf;
    const length = Math.min(target.length, buf.length, end - position);
    const bytesRead = readSync(fd, target, 0, length, position);
    if (bytesRead === 0) break;
    if (target !== buf) scanner.pushRead(bytesRead);
    else scanner.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    position += bytesRead;
    unreported += bytesRead;
    if (unreported >= PROGRESS_BYTES) {
      onBytes?.(unreported);
      unreported = 0;
    }
  }
  if (unreported) onBytes?.(unreported);
}
