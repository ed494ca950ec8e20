/** Reading logs into the scanner: files (gzip or plain, split across threads), stdin, any stream. */
export {
  scanFiles,
  DEFAULT_SPLIT_FROM_BYTES,
  type ScanFilesOptions,
  type ScanProgress,
} from './scan-files.js';
export { scanReadable, type ChunkSink } from './scan-readable.js';
export { inspectInput, openInputStream, gunzipIfCompressed, type InputInfo } from './open-input.js';
export { InputError, inputError } from './input-error.js';
