import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Splits a plain file into byte ranges that start at line starts, so that each range can be
 * scanned apart and the counts added up. A range never starts after a CRI partial (`P`) line:
 * the partial and its final line must be scanned together.
 */

export interface ByteRange {
  start: number;
  end: number;
}

const PROBE = 64 * 1024;
const CRI_PARTIAL = / std(?:out|err) P /;

export async function splitIntoRanges(handle: FileHandle, size: number, parts: number): Promise<ByteRange[]> {
  const cuts = [0];
  for (let i = 1; i < parts; i++) {
    const target = Math.max(Math.floor((size * i) / parts), cuts[cuts.length - 1]!);
    const cut = await nextLineStart(handle, target, size);
    if (cut > cuts[cuts.length - 1]! && cut < size) cuts.push(cut);
  }
  cuts.push(size);
  const ranges: ByteRange[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) ranges.push({ start: cuts[i]!, end: cuts[i + 1]! });
  return ranges;
}

/**
 * A cut after `from`: the end of the first whole line that starts after `from` and is not a CRI
 * partial (one line later than the nearest line start, which is as good and needs no look back).
 */
async function nextLineStart(handle: FileHandle, from: number, size: number): Promise<number> {
  const first = await findNewline(handle, from, size);
  if (first < 0) return size;
  let lineStart = first + 1;
  const head = Buffer.alloc(80);
  while (lineStart < size) {
    const { bytesRead } = await handle.read(head, 0, head.length, lineStart);
    const nl = await findNewline(handle, lineStart, size);
    if (nl < 0) return size;
    if (!isCriPartial(head.toString('latin1', 0, bytesRead))) return nl + 1;
    lineStart = nl + 1;
  }
  return size;
}

async function findNewline(handle: FileHandle, from: number, size: number): Promise<number> {
  const buf = Buffer.alloc(PROBE);
  let position = from;
  while (position < size) {
    const { bytesRead } = await handle.read(buf, 0, PROBE, position);
    if (bytesRead === 0) return -1;
    const nl = buf.indexOf(0x0a);
    if (nl >= 0 && nl < bytesRead) return position + nl;
    position += bytesRead;
  }
  return -1;
}

/**
 * The cut nearest after `target` by the rule of splitIntoRanges, read synchronously: the threads
 * that scan a file work out the edges of the ranges they take themselves, in parallel, and agree
 * on them since the rule depends on the bytes only. `buf` is scratch space.
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
