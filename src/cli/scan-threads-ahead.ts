import { setFlagsFromString } from 'node:v8';
import { prestartScanWorkers } from '../io/scan-workers.js';
import { wouldSplit } from '../io/split.js';

/**
 * Boots the worker threads of a scan that will split a large file across them (any of `args`
 * names one, wouldSplit): their boot overlaps the loading of the CLI.
 */
export function prestartScanThreads(args: readonly string[]): void {
  if (!args.some((arg) => wouldSplit(arg))) return;
  // The scan is then half a second of work on every core. With V8's default tier-up budget
  // (67,584) its optimizing compiler spent about 150 ms of CPU compiling the scanner's code twice
  // (once per thread) on the very cores the scan runs on; with a larger budget, code is optimized
  // later and less of it. Set once the worker has booted: a thread that boots with other flags
  // than V8's defaults cannot use Node's start-up snapshot, and took twice as long (46 against
  // 22 ms). Measured, 1,000,000 against 300,000 (interleaved runs, medians of 11-15): a 1 GiB
  // RKE1 log 519 -> 477 ms wall and 902 -> 860 ms CPU, and 524 -> 509 ms in another round; a
  // 256 MiB klog log (read by the TypeScript scanner alone) the same; 4,000,000 was slower there.
  void prestartScanWorkers().then(() => setFlagsFromString('--interrupt-budget=1000000'));
}
