#!/usr/bin/env node
import { exitOnceWritten } from './exit-once-written.js';
import { parsePlainScanLogs } from './scan-logs-argv.js';
import { prestartScanThreads } from './scan-threads-ahead.js';

const scanLogs = process.argv[2] === 'scan-logs';
const role = ['bot', 'worker', 'serve'].includes(process.argv[2] ?? '');

// scan-logs splits a large file across threads: their boot overlaps the loading of the CLI.
if (scanLogs) prestartScanThreads(process.argv.slice(3));

// A plain scan (most runs of scan-logs) needs neither commander nor the other commands.
const plainScan = scanLogs ? parsePlainScanLogs(process.argv.slice(3)) : null;
if (plainScan) {
  const { runPlainScan } = await import('./plain-scan.js');
  runPlainScan(plainScan);
} else {
  const { describeError, main } = await import('./program.js');
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // scan-logs exits once its output is out, as a plain scan does (plain-scan.ts).
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
}
