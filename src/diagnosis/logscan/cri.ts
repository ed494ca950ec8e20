import { parseRfc3339View, rfc3339End, sameSecondUtc } from './time.js';
import { SPACE, ascii } from './ascii.js';

/**
 * CRI lines (containerd's and CRI-O's `/var/log/pods/...`): `<RFC3339Nano> stdout|stderr F|P
 * <message>`. This module reads the header and keeps the partial (P) lines of each stream until
 * their final (F) line; the message is read by the line reader.
 */

export type CriStream = 'stdout' | 'stderr';

export const CRI_PARTIAL = 0x50; /* P */
export const CRI_FINAL = 0x46; /* F */

const STDE = ascii('stde').readInt32LE(0);
const STDO = ascii('stdo').readInt32LE(0);

interface Partial {
  timeMs: number;
  parts: Buffer[];
  bytes: number;
}

export class CriLines {
  /** Length of the last CRI line's time stamp. */
  private stampLength = 0;
  /** CRI partial (P) lines per stream, waiting for their final (F) line. */
  readonly partials = new Map<string, Partial>();
  /** Set by header: the line's stream, its tag (CRI_PARTIAL, CRI_FINAL or another byte), where its message starts. */
  stream: CriStream = 'stdout';
  tag = 0;
  messageAt = 0;

  /**
   * The time of the CRI line `buf[start, end)`, or NaN when it is no CRI line (no stamp, no
   * stream); stream, tag and messageAt are then set.
   */
  header(buf: Buffer, view: DataView, start: number, end: number): number {
    // The stamp is tried at the line before's length: when it parses and ends at a space, that is
    // the first space (the parsed bytes hold none, the date-time separator checked apart).
    let space = start + this.stampLength;
    let timeMs = NaN;
    if (this.stampLength > 0 && space + 10 <= end && buf[space] === SPACE && buf[start + 10] !== SPACE) {
      timeMs = sameSecondUtc(view, buf, start, space - 1);
      if (Number.isNaN(timeMs)) timeMs = parseRfc3339View(view, buf, start, space);
      if (rfc3339End.at !== space) timeMs = NaN;
    }
    if (Number.isNaN(timeMs)) {
      space = buf.indexOf(SPACE, start);
      if (space < 0 || space > start + 40 || space + 10 > end) return NaN;
      timeMs = parseRfc3339View(view, buf, start, space);
      if (Number.isNaN(timeMs)) return NaN;
      this.stampLength = space - start;
    }
    const streamAt = space + 1;
    if (buf[streamAt + 6] !== SPACE || buf[streamAt + 8] !== SPACE) return NaN;
    const std = view.getInt32(streamAt, true);
    if (std === STDE && buf[streamAt + 4] === 0x72 && buf[streamAt + 5] === 0x72) this.stream = 'stderr';
    else if (std === STDO && buf[streamAt + 4] === 0x75 && buf[streamAt + 5] === 0x74) this.stream = 'stdout';
    else return NaN;
    this.tag = buf[streamAt + 7]!;
    this.messageAt = streamAt + 9;
    return timeMs;
  }

  /**
   * Keeps the partial line's message `buf[at, end)` (a copy) for its stream. Returns -1 while the
   * message stays under `maxBytes`; past it, the message is given up, and the number of its lines
   * before this one is returned (skipped, as this one is).
   */
  keepPartial(
    stream: CriStream,
    timeMs: number,
    buf: Buffer,
    at: number,
    end: number,
    maxBytes: number,
  ): number {
    let pending = this.partials.get(stream);
    if (pending === undefined) {
      pending = { timeMs, parts: [], bytes: 0 };
      this.partials.set(stream, pending);
    }
    pending.parts.push(Buffer.from(buf.subarray(at, end)));
    pending.bytes += end - at;
    if (pending.bytes > maxBytes) {
      // A runaway partial: give up on the whole message.
      this.partials.delete(stream);
      return pending.parts.length - 1;
    }
    return -1;
  }

  /** Whether partial lines of `stream` wait for their final line. */
  hasPartial(stream: CriStream): boolean {
    return this.partials.has(stream);
  }

  /**
   * The final line's message `buf[at, end)` joined to the partial lines before it, and their time
   * and number (the final line included); undefined when none waits.
   */
  joinPartial(
    stream: CriStream,
    buf: Buffer,
    at: number,
    end: number,
  ): { message: Buffer; timeMs: number; lines: number } | undefined {
    const pending = this.partials.get(stream);
    if (pending === undefined) return undefined;
    this.partials.delete(stream);
    pending.parts.push(buf.subarray(at, end));
    return { message: Buffer.concat(pending.parts), timeMs: pending.timeMs, lines: pending.parts.length };
  }

  /** Drops the partial lines never finished; returns how many there were. */
  dropPartials(): number {
    let lines = 0;
    for (const pending of this.partials.values()) lines += pending.parts.length;
    this.partials.clear();
    return lines;
  }
}
