import type { LogFileReader } from '../diagnosis/ports.js';
import { eachLine } from './each-line.js';
import { scanFiles } from './scan-files.js';

/** The diagnosis's log-file port: files scanned whole, with the scan's own defaults. */
export const logFileReader: LogFileReader = {
  scan: (files, onProgress) => scanFiles(files, {}, onProgress),
  eachLine,
};
