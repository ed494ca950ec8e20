#!/usr/bin/env node
import { prestartScanWorkers } from '../io/scan-workers.js';
import { wouldSplit } from '../io/split.js';

// scan-logs splits a large file across threads: their boot overlaps the loading of the CLI.
if (process.argv[2] === 'scan-logs' && process.argv.slice(3).some((arg) => wouldSplit(arg))) {
  prestartScanWorkers();
}
const { describeError, main } = await import('./program.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rancher-doctor: ${describeError(err)}\n`);
    process.exitCode = 2;
  },
);
