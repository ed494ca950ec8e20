import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Which inputs a scan splits across threads: plain (not gzip) files from this size on. */
export const DEFAULT_SPLIT_FROM_BYTES = 64 << 20;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzipHead(head: Uint8Array, length = head.length): boolean {
  return length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** The rule: a plain file (size known, not gzip) of `fromBytes` or more. */
export function splits(input: { size: number | null; gzip: boolean }, fromBytes: number): boolean {
  return !input.gzip && input.size !== null && input.size >= fromBytes;
}

/**
 * Whether `path` names a file that a scan would split across threads (splits()): checked before
 * the CLI loads, so that worker threads are booted ahead only for a scan that takes them.
 * Anything it cannot read is no (the scan itself then reports it).
 */
export function wouldSplit(path: string, fromBytes = DEFAULT_SPLIT_FROM_BYTES): boolean {
  if (path === '-' || path.startsWith('--')) return false;
  try {
    const info = statSync(path);
    // A small file's first bytes need not be read.
    if (!info.isFile() || info.size < fromBytes) return false;
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(2);
      return splits({ size: info.size, gzip: isGzipHead(head, readSync(fd, head, 0, 2, 0)) }, fromBytes);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
