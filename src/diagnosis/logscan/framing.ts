import { NL } from './ascii.js';

/**
 * Line framing: the lines of a log pushed in chunks of any size. A line cut by a chunk's end is
 * kept (a copy) until its newline comes; a line longer than the limit is dropped whole, as a
 * skipped line, wherever the chunks cut it.
 */

/** Where framed lines go. */
export interface LineSink {
  /** One line, `buf[start, end)`, newline excluded. */
  line(buf: Buffer, start: number, end: number): void;
  /** A line over the limit, counted as read and skipped. */
  skipLine(): void;
}

export class LineFramer {
  /** Bytes of a line cut by the chunk boundary. */
  private carry: Buffer | null = null;
  /** True while dropping the rest of an over-long line. */
  private discarding = false;

  /** The start of a line cut by the last chunk's end, kept until its newline comes. */
  get carried(): Buffer | null {
    return this.carry;
  }

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number,
  ) {}

  /**
   * Ends the line carried over from earlier chunks with the first newline of `chunk`. Returns
   * where the chunk's own lines start, or -1 when it holds no newline (it was carried too).
   */
  finishCarried(chunk: Buffer): number {
    if (this.carry === null && !this.discarding) return 0;
    const nl = chunk.indexOf(NL);
    if (nl < 0) {
      this.hold(chunk, 0);
      return -1;
    }
    if (this.discarding) {
      this.discarding = false;
      this.sink.skipLine();
    } else if (this.carry !== null) {
      // The same limit as a line found whole in one chunk, or chunking would change the counts.
      if (this.carry.length + nl > this.maxLineBytes) {
        this.carry = null;
        this.sink.skipLine();
      } else {
        const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
        this.carry = null;
        this.sink.line(line, 0, line.length);
      }
    }
    return nl + 1;
  }

  /** The lines of `buf[from, to)`, read here; the last one may lack its newline (then it is held). */
  wholeLines(buf: Buffer, from: number, to: number): void {
    let start = from;
    while (start < to) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0 || nl >= to) {
        this.hold(buf, start, to);
        return;
      }
      if (nl - start > this.maxLineBytes) this.sink.skipLine();
      else this.sink.line(buf, start, nl);
      start = nl + 1;
    }
  }

  /** Keeps `chunk[from, to)`, the start of a line that goes on in the next chunk (a copy). */
  hold(chunk: Buffer, from: number, to = chunk.length): void {
    if (this.discarding) return;
    const held = (this.carry?.length ?? 0) + to - from;
    if (held > this.maxLineBytes) {
      this.carry = null;
      this.discarding = true;
      return;
    }
    this.carry =
      this.carry === null
        ? Buffer.from(chunk.subarray(from, to))
        : Buffer.concat([this.carry, chunk.subarray(from, to)]);
  }

  /** At the end of the log: a last line without a newline still counts. */
  end(): void {
    if (this.discarding) this.sink.skipLine();
    else if (this.carry !== null && this.carry.length) this.sink.line(this.carry, 0, this.carry.length);
    this.carry = null;
    this.discarding = false;
  }
}
