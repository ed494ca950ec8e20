/**
 * The bytes the scanner's parts look for, and the few helpers they share to look at a line's
 * bytes without making a string.
 */

export const NL = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const SPACE = 0x20;

export const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

export const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** Buffer's own latin1Slice skips toString's argument checks; paths and verbs are ASCII. */
export const latin1 = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/** Searches `buf[from, limit)` only: a miss must not run on through the rest of the chunk. */
export function indexWithin(buf: Buffer, pattern: Buffer, from: number, limit: number): number {
  if (limit - from < pattern.length) return -1;
  const at = buf.subarray(from, limit).indexOf(pattern);
  return at < 0 ? -1 : from + at;
}
