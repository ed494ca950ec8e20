/**
 * `scan-logs`: log files read by io/ (gzip, stdin, split across threads) into the pure scanner.
 * Its start-up is measured in milliseconds: this module loads the scanner and the readers only,
 * never a logger, Bolt, BullMQ or the Kubernetes client.
 */
export { scanFiles as scanLogs, type ScanFilesOptions, type ScanProgress } from '../io/index.js';
