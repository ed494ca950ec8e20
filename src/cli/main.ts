#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { prestartScanWorkers } from '../io/scan-workers.js';
import { wouldSplit } from '../io/split.js';

const scanLogs = process.argv[2] === 'scan-logs';
const role = ['bot', 'worker', 'serve'].includes(process.argv[2] ?? '');

// scan-logs splits a large file across threads: their boot overlaps the loading of the CLI.
if (scanLogs && process.argv.slice(3).some((arg) => wouldSplit(arg))) {
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
const { describeError, main } = await import('./program.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // scan-logs holds nothing that needs closing once its output is out: it exits then, rather
    // than wait for Node to free its heaps one by one (about 5 ms of a 1 GiB scan's end, measured:
    // 13.8 -> 8.3 ms from the output to the process's end). The servers run on until stopped.
    if (scanLogs) exitOnceWritten(code);
    // A role returns once it has stopped, or failed to start (a token Slack refuses): a handle
    // left open (a Redis reconnect, a socket's close handshake) must not keep it half alive.
    if (role) exitOnceWritten(code);
  },
  (err: unknown) => {
    process.stderr.write(`rancher-doctor: ${describeError(err)}\n`);
    process.exitCode = 2;
  },
);

/** Exits with `code` once what was written to stdout and stderr is out. */
function exitOnceWritten(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
