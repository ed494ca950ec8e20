import { open } from 'node:fs/promises';
import { LogScanner, type ScanCounts, type ScanOptions } from '../diagnosis/logscan/index.js';

export const READ_CHUNK_BYTES = 4 << 20;

/**
 * Scans `[start, end)` of a plain file, reading into one reused buffer: the scanner copies what
 * it keeps (a line cut by the chunk edge), so the buffer can be overwritten on the next read.
 */
export async function scanFileRange(
  path: string,
  start: number,
  end: number,
  options: ScanOptions,
  onBytes?: (bytes: number) => void,
): Promise<ScanCounts> {
  const scanner = new LogScanner(options);
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(1, end - start)));
    let position = start;
    while (position < end) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - position), position);
      if (bytesRead === 0) break;
      scanner.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      position += bytesRead;
      onBytes?.(bytesRead);
    }
    scanner.end();
  } finally {
    await handle.close();
  }
  return scanner.counts;
}
