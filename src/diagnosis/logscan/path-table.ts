import { type ParsedPath, parseRequestPath } from './request-path.js';
import type { ChannelTally, ObjectTally } from './tally.js';
import { equalBytes, viewOf } from './bytes.js';
import { latin1 } from './ascii.js';

/**
 * Path interning: the request paths seen lately, kept as bytes in fixed tables, with what counting
 * them needs, so that a path seen before costs a comparison of bytes and no string; and the parse
 * of each path string, kept in a Map of bounded size.
 */

const MAX_PATH_CACHE = 262_144;

const PATH_SLOTS = 4096;
const PATH_SLOT_BYTES = 128;

const ENTRY_SLOTS = 4096;
const ENTRY_BYTES = 128;

/**
 * A request path as the log writes it (the bytes between the quotes, escapes and query included),
 * with what counting it needs: its parse, whether its query asks for a watch, and its object's
 * tally in each channel it was counted in, so that a path seen before costs no string and no
 * Map look-up.
 */
export class PathEntry {
  /** Where its bytes are in PathTable.entryBytes. */
  readonly offset: number;
  length = 0;
  /** Holds a `\uXXXX` escape: delimited this way inside a JSON string only. */
  escapedOnly = false;
  /** Offset of the query's `?`, -1 without a query. */
  queryOffset = -1;
  /** Set once countRequest has parsed it. */
  parsedKnown = false;
  parsed: ParsedPath | null = null;
  /** What a GET and an unknown verb to it count as (refineRead and the legacy /watch/ path). */
  getVerb = 0;
  otherVerb = 0;
  /** Its object's tally in up to four channels (one request leaves a line per component). */
  channel0: ChannelTally | null = null;
  tally0: ObjectTally | null = null;
  id0 = -1;
  channel1: ChannelTally | null = null;
  tally1: ObjectTally | null = null;
  id1 = -1;
  channel2: ChannelTally | null = null;
  tally2: ObjectTally | null = null;
  id2 = -1;
  channel3: ChannelTally | null = null;
  tally3: ObjectTally | null = null;
  id3 = -1;

  constructor(slot: number) {
    this.offset = slot * ENTRY_BYTES;
  }
}

/** The tally of the entry's object in `channel`, kept in the entry when it is one countAt() takes. */
export function entryTally(
  entry: PathEntry,
  channel: ChannelTally,
  parsed: ParsedPath,
  timeMs: number,
): ObjectTally {
  const tally = channel.tallyOf(parsed.key, parsed.ref, timeMs);
  const id = channel.idOf(tally);
  if (id < 0) return tally;
  if (entry.channel0 === null) {
    entry.channel0 = channel;
    entry.tally0 = tally;
    entry.id0 = id;
  } else if (entry.channel1 === null) {
    entry.channel1 = channel;
    entry.tally1 = tally;
    entry.id1 = id;
  } else if (entry.channel2 === null) {
    entry.channel2 = channel;
    entry.tally2 = tally;
    entry.id2 = id;
  } else if (entry.channel3 === null) {
    entry.channel3 = channel;
    entry.tally3 = tally;
    entry.id3 = id;
  }
  return tally;
}

export class PathTable {
  /** Every path string parsed, up to MAX_PATH_CACHE of them (then it starts over). */
  readonly pathCache = new Map<string, ParsedPath | null>();
  /** Paths seen lately as bytes, and what they parsed to (see parseBytes). Fixed size. */
  private readonly pathSlotBytes = Buffer.alloc(PATH_SLOTS * PATH_SLOT_BYTES);
  private readonly pathSlotLength = new Int32Array(PATH_SLOTS).fill(-1);
  private readonly pathSlotParsed: (ParsedPath | null)[] = new Array<ParsedPath | null>(PATH_SLOTS).fill(
    null,
  );
  /** Paths delimited lately, direct-mapped by their length and last bytes. Fixed size. */
  private readonly entryBytes = Buffer.alloc(ENTRY_SLOTS * ENTRY_BYTES);
  /** A view of the entries' bytes: an entry's are at its offset. */
  readonly entryView = viewOf(this.entryBytes);
  private readonly entries: (PathEntry | null)[] = new Array<PathEntry | null>(ENTRY_SLOTS).fill(null);

  /**
   * The entry of the path `buf[start, close)` just walked, made when it is not there; its query
   * starts at `queryAt` (-1: none), and `escapedOnly` when it holds a `\u` escape.
   */
  entryFor(
    buf: Buffer,
    view: DataView,
    start: number,
    close: number,
    escapedOnly: boolean,
    queryAt: number,
  ): PathEntry | null {
    const length = close - start;
    if (length < 8 || length > ENTRY_BYTES) return null;
    const mixed = view.getInt32(close - 4, true) ^ Math.imul(view.getInt32(close - 8, true), 0x9e3779b1);
    const slot = Math.imul(mixed ^ length, 0x85ebca6b) >>> 20;
    let entry = this.entries[slot];
    if (entry === null || entry === undefined) {
      entry = new PathEntry(slot);
      this.entries[slot] = entry;
    } else if (entry.length === length && equalBytes(view, start, this.entryView, entry.offset, length)) {
      return entry;
    }
    buf.copy(this.entryBytes, entry.offset, start, close);
    entry.length = length;
    entry.escapedOnly = escapedOnly;
    entry.queryOffset = queryAt < 0 ? -1 : queryAt - start;
    entry.parsedKnown = false;
    entry.parsed = null;
    entry.channel0 = entry.channel1 = entry.channel2 = entry.channel3 = null;
    entry.tally0 = entry.tally1 = entry.tally2 = entry.tally3 = null;
    return entry;
  }

  /**
   * The path `buf[start, end)` parsed. Paths seen lately are kept as bytes in a direct-mapped
   * table (slot from the length and the last bytes, where paths differ most), so that a path seen
   * before costs a byte comparison and no string; a slot taken by another path is just a miss.
   */
  parseBytes(buf: Buffer, start: number, end: number): ParsedPath | null {
    const length = end - start;
    if (length > PATH_SLOT_BYTES || length < 8) return this.parse(latin1(buf, start, end));
    const slot =
      (Math.imul(length ^ (buf[end - 1]! << 8) ^ (buf[end - 2]! << 16) ^ (buf[end - 3]! << 24), 0x9e3779b1) ^
        (buf[end - 5]! * 31 + buf[end - 8]!)) &
      (PATH_SLOTS - 1);
    const bytes = this.pathSlotBytes;
    const offset = slot * PATH_SLOT_BYTES;
    if (this.pathSlotLength[slot] === length) {
      let i = length - 1;
      while (i >= 0 && buf[start + i] === bytes[offset + i]) i--;
      if (i < 0) return this.pathSlotParsed[slot]!;
    }
    const parsed = this.parse(latin1(buf, start, end));
    buf.copy(bytes, offset, start, end);
    this.pathSlotLength[slot] = length;
    this.pathSlotParsed[slot] = parsed;
    return parsed;
  }

  parse(path: string): ParsedPath | null {
    let parsed = this.pathCache.get(path);
    if (parsed === undefined) {
      parsed = parseRequestPath(path);
      if (this.pathCache.size >= MAX_PATH_CACHE) this.pathCache.clear();
      this.pathCache.set(path, parsed);
    }
    return parsed;
  }
}
