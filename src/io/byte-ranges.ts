import { readSync } from 'node:fs';

/**
 * Where a plain file is cut into byte ranges that start at line starts, so that each range can be
 * scanned apart and the counts added up. A range never starts after a CRI partial (`P`) line:
 * the partial and its final line must be scanned together.
 */

const CRI_PARTIAL = / std(?:out|err) P /;

/**
 * The cut after `target`: the end of the first whole line that starts after it and is not a CRI
 * partial (one line later than the nearest line start, which is as good and needs no look back).
 * The threads that scan a file work out the edges of the ranges they take themselves, in
 * parallel, and agree on them since the rule depends on the bytes only. `buf` is scratch space.
 */
export function cutAfter(fd: number, target: number, size: number, buf: Buffer): number {
  if (target <= 0) return 0;
  const first = newlineAt(fd, target, size, buf);
  if (first < 0) return size;
  let lineStart = first + 1;
  while (lineStart < size) {
    const nl = newlineAt(fd, lineStart, size, buf);
    if (nl < 0) return size;
    const head = readSync(fd, buf, 0, Math.min(80, buf.length), lineStart);
    if (!isCriPartial(buf.toString('latin1', 0, head))) return nl + 1;
    lineStart = nl + 1;
  }
  return size;
}

function newlineAt(fd: number, from: number, size: number, buf: Buffer): number {
  let position = from;
  while (position < size) {
    // Lines are short: a small read usually finds the newline.
    const bytesRead = readSync(fd, buf, 0, Math.min(buf.length, 4096), position);
    if (bytesRead === 0) return -1;
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl >= 0) return position + nl;
    position += bytesRead;
  }
  return -1;
}

function isCriPartial(lineHead: string): boolean {
  const space = lineHead.indexOf(' ');
  return space > 0 && space < 40 && CRI_PARTIAL.test(lineHead.slice(space, space + 10));
}
