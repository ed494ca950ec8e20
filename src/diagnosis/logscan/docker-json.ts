import { parseRfc3339, parseRfc3339View, rfc3339End, sameSecondUtc } from './time.js';
import { BytePattern, matchPattern } from './bytes.js';
import { CR, NL, QUOTE } from './ascii.js';

/**
 * Docker json-file lines (RKE1's `<id>-json.log`):
 * `{"log":"<klog line>\n","stream":"stderr","time":"<RFC3339Nano>"}`. The klog line inside is
 * read where it lies, escaped, by the line reader; this module finds the time field, and gives the
 * message of a line that had to go through JSON.parse.
 */

export const DOCKER_PREFIX = new BytePattern('{"log":"');
const DOCKER_TIME = new BytePattern('"time":"');

/**
 * Where the Docker `"time":"` field starts, or -1: the last `"time":"` of `buf[start, end)`, where
 * `end - 1` is the closing brace. The value holds no quote, so when the last string of the line
 * is the time the field is found by a short walk back; otherwise a bounded search decides.
 */
function dockerTimeAt(buf: Buffer, view: DataView, start: number, end: number): number {
  let p = end - 3;
  const stop = Math.max(start, end - 48);
  while (p > stop && buf[p] !== QUOTE) p--;
  const at = p - DOCKER_TIME.length + 1;
  if (buf[end - 2] === QUOTE && at >= start && matchPattern(view, at, end, DOCKER_TIME)) return at;
  const found = buf.subarray(start, end - 1).lastIndexOf(DOCKER_TIME.bytes);
  return found < 0 ? -1 : start + found;
}

/** The time field of Docker lines, found first where the line before had it. */
export class DockerTime {
  /** `end - timeAt` of the last Docker line: where the time field of the next one is tried first. */
  private tail = 0;
  /** Set by timeOf: where the `"time":"` field starts (the log string ends before it). */
  at = -1;

  /**
   * The time of the Docker line `buf[start, end)` (its prefix matched, its last byte the closing
   * brace), or NaN; `at` is then where its time field starts. The time is the last field; inside
   * the log string every quote is escaped, so the last `"time":"` of the line is the field.
   */
  timeOf(buf: Buffer, view: DataView, start: number, end: number): number {
    // Tried where the line before had it, and a byte or two later (Docker drops the trailing
    // zeros of the nanoseconds): a stamp that parses and ends just before the closing `"}`
    // holds no quote, so no later `"time":"` exists and this is the one the search finds.
    let timeAt = -1;
    let timeMs = NaN;
    if (buf[end - 2] === QUOTE) {
      for (let k = 0; k < 3; k++) {
        const at = end - this.tail + k;
        if (at > start + DOCKER_PREFIX.length && matchPattern(view, at, end, DOCKER_TIME)) {
          const stamp = at + DOCKER_TIME.length;
          timeMs = sameSecondUtc(view, buf, stamp, end - 3);
          if (Number.isNaN(timeMs)) {
            timeMs = parseRfc3339View(view, buf, stamp, end);
            if (rfc3339End.at !== end - 2) timeMs = NaN;
          }
          if (!Number.isNaN(timeMs)) timeAt = at;
          break;
        }
      }
    }
    if (timeAt < 0) {
      timeAt = dockerTimeAt(buf, view, start, end);
      if (timeAt > start + DOCKER_PREFIX.length) {
        timeMs = parseRfc3339View(view, buf, timeAt + DOCKER_TIME.length, end);
        this.tail = end - timeAt;
      }
    }
    this.at = timeAt;
    return timeMs;
  }
}

/** A JSON.parse'd line is a Docker record when it has the two string fields. */
export const isDockerRecord = (record: Record<string, unknown>): record is { log: string; time: string } =>
  typeof record.log === 'string' && typeof record.time === 'string';

/** The record's time (NaN: not a time). */
export function dockerRecordTime(record: { time: string }): number {
  const timeBytes = Buffer.from(record.time, 'latin1');
  return parseRfc3339(timeBytes, 0, timeBytes.length);
}

/** The record's message as bytes, its trailing newline left out: `message[0, end)`. */
export function dockerRecordMessage(record: { log: string }): { message: Buffer; end: number } {
  const message = Buffer.from(record.log, 'utf8');
  let end = message.length;
  while (end > 0 && (message[end - 1] === NL || message[end - 1] === CR)) end--;
  return { message, end };
}
