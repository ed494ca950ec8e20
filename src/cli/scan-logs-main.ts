import { runPlainScan } from './plain-scan.js';
import { parsePlainScanLogs } from './scan-logs-argv.js';
import { prestartScanThreads } from './scan-threads-ahead.js';

/**
 * The entry of `rancher-doctor scan-logs` (bin/rancher-doctor starts it for that command): a
 * bundle of its own, scan-logs.cjs (scripts/bundle.ts), which holds a plain scan and nothing else.
 * Anything but a plain scan (--help, --chart, a usage error) goes to the full program, main.js.
 */
const plainScan = parsePlainScanLogs(process.argv.slice(3));
if (plainScan) {
  prestartScanThreads(plainScan.files);
  runPlainScan(plainScan);
} else {
  void import(new URL('./main.js', import.meta.url).href);
}
