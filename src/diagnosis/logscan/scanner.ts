import type { LogFormat, Signal } from '../types.js';
import { parseKlogTimeView, parseRfc3339, parseRfc3339View, rfc3339End, sameSecondUtc } from './time.js';
import { type ParsedPath, VERB, parseRequestPath, refineRead, verbIndex } from './request-path.js';
import { ChannelTally, DEFAULT_MAX_MINUTES, type ObjectTally } from './tally.js';
import { BytePattern, equalBytes, matchPattern, viewOf } from './bytes.js';
import {
  EV_FALLBACK,
  EV_MINUTES,
  EV_NEW_COMPONENT,
  EV_NEW_SLOT,
  EV_REQUEST,
  EV_SATISFIED,
  EV_SKIPPED,
  MINUTES_PER_SLOT,
  STATUS_KNOWN_CRI,
  STATUS_KNOWN_DOCKER,
  STATUS_PARTIAL_STDERR,
  STATUS_PARTIAL_STDOUT,
  STATUS_PATHS_FULL,
  STATUS_SKIPPED_CRI,
  STATUS_SKIPPED_DOCKER,
  STATUS_STOPPED,
  createLineKernel,
  type LineKernel,
} from './line-kernel.js';
import { KernelSlots, type SlotHost } from './kernel-slots.js';
import { SlotRecorder, kernelOfRecord, playRecord, type SlotRecord, type SlotSink } from './slot-record.js';

/**
 * The byte-level scanner. Lines are found with Buffer.indexOf and recognised by a few byte
 * comparisons at fixed places, so that the lines that are not requests cost no string and no
 * JSON.parse. Only request lines produce a string: their path, interned per object.
 *
 * A request leaves several lines in a row naming the same path (satisfied-by lines of each
 * component, an httplog line), and a log's lines share their layout: what the line before taught
 * (where its time field was, its component, its path and what it parsed to) is tried first, by
 * comparing words, and only a line that differs is walked byte by byte. Each shortcut is taken
 * only where it gives what the walk would give, so the counts never depend on it.
 *
 * The commonest line of all, an RKE1 Docker line holding a satisfied-by line, is read first by
 * the WebAssembly kernel (kernel/kernel.ts, through line-kernel.ts and kernel-slots.ts), which
 * hands back every line it is not sure of; this class is then the reference the kernel is tested
 * against (test/logscan/kernel.test.ts), and reads the lines handed back.
 */

export interface LogScanOptions {
  /** Requests before this instant (ms since epoch) are not counted. */
  sinceMs?: number | null;
  /** The instant the log ends before, used to give klog headers (no year) their year. Default: now. */
  referenceMs?: number;
  /** Longest line looked at; longer lines are skipped whole. */
  maxLineBytes?: number;
  /** Per-object per-minute write buckets kept (the latest ones). */
  maxMinutes?: number;
  /**
   * Read the commonest lines with the WebAssembly kernel (default true, when it is built). The
   * counts are the same either way; false is for the tests that compare the two.
   */
  useKernel?: boolean;
  /**
   * Keep the kernel's slot events as data (recordedSlots) instead of carrying them into this
   * scanner's tallies: for a worker thread, whose records the thread that started it plays into
   * its own scanner (replaySlots). See slot-record.ts.
   */
  recordSlots?: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const MAX_PATH_CACHE = 262_144;

const PATH_SLOTS = 4096;
const PATH_SLOT_BYTES = 128;

/** The satisfied-by lines of one request come from up to three components; one is counted. */
export const COMPONENT_PREFERENCE = ['kube-aggregator', 'kube-apiserver', 'apiextensions-apiserver'];

/** Everything a scan has counted; mergeable, so that byte ranges can be scanned apart. */
export interface ScanCounts {
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  formats: Partial<Record<LogFormat, number>>;
  signalsSeen: Partial<Record<Signal, number>>;
  audit: ChannelTally;
  httplog: ChannelTally;
  /** Handler lines per apiserver component (satisfied-by signal). */
  handlers: Map<string, ChannelTally>;
}

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const DOCKER_PREFIX = new BytePattern('{"log":"');
const DOCKER_TIME = new BytePattern('"time":"');
const HANDLER_GO = new BytePattern('handler.go:');
const PATHRECORDER_GO = new BytePattern('pathrecorder.go:');
const HTTPLOG_GO = new BytePattern('httplog.go:');
const SATISFIED_BY = new BytePattern(' satisfied by');
const HTTP_VERB = new BytePattern('HTTP');
const VERB_ATTR = new BytePattern(' verb=');
const URI_ATTR = new BytePattern(' URI=');
const RESP_ATTR = ascii(' resp=');
const WATCH_TRUE = ascii('watch=true');
const WATCH_ONE = ascii('watch=1');
const QUERY_MARK = ascii('?');
const STAGE_COMPLETE = ascii('"stage":"ResponseComplete"');
const AUDIT_KIND = ascii('"kind":"Event"');
const AUDIT_API_VERSION = ascii('"apiVersion":"audit.k8s.io/');

const GET_ = ascii('GET ').readInt32LE(0);
const PUT_ = ascii('PUT ').readInt32LE(0);
const STDE = ascii('stde').readInt32LE(0);
const STDO = ascii('stdo').readInt32LE(0);

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;

/** Searches `buf[from, limit)` only: a miss must not run on through the rest of the chunk. */
function indexWithin(buf: Buffer, pattern: Buffer, from: number, limit: number): number {
  if (limit - from < pattern.length) return -1;
  const at = buf.subarray(from, limit).indexOf(pattern);
  return at < 0 ? -1 : from + at;
}

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

/** The verb of a handler line from its bytes, without a string for the common methods. */
function verbFromBytes(buf: Buffer, at: number, end: number): number {
  const c = buf[at];
  switch (end - at) {
    case 3:
      if (c === 0x47 && buf[at + 1] === 0x45 && buf[at + 2] === 0x54) return VERB.GET;
      if (c === 0x50 && buf[at + 1] === 0x55 && buf[at + 2] === 0x54) return VERB.PUT;
      break;
    case 4:
      if (c === 0x50 && buf[at + 1] === 0x4f && buf[at + 2] === 0x53 && buf[at + 3] === 0x54)
        return VERB.POST;
      break;
  }
  return verbIndex(latin1(buf, at, end));
}

/**
 * True when `buf[start, end)` is one JSON object closed by its last byte. Strings and nesting are
 * followed, values are not checked: enough to tell a whole line from a truncated one without
 * JSON.parse.
 */
function closedJsonObject(buf: Buffer, start: number, end: number): boolean {
  let depth = 0;
  let inString = false;
  for (let p = start; p < end; p++) {
    const c = buf[p];
    if (inString) {
      if (c === BACKSLASH) p++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return p === end - 1;
  }
  return false;
}

/** Buffer's own latin1Slice skips toString's argument checks; paths and verbs are ASCII. */
const latin1 = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const ENTRY_SLOTS = 4096;
const ENTRY_BYTES = 128;

/**
 * A request path as the log writes it (the bytes between the quotes, escapes and query included),
 * with what counting it needs: its parse, whether its query asks for a watch, and its object's
 * tally in each channel it was counted in, so that a path seen before costs no string and no
 * Map look-up.
 */
class PathEntry {
  /** Where its bytes are in LogScanner.entryBytes. */
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

interface KnownComponent {
  name: Buffer;
  view: DataView;
  channel: ChannelTally;
}

/** The names format() and signal() count, by index. */
const TALLIED: ['formats' | 'signalsSeen', string][] = [
  ['formats', 'docker-json'],
  ['formats', 'cri'],
  ['formats', 'klog'],
  ['formats', 'audit'],
  ['signalsSeen', 'satisfied-by'],
  ['signalsSeen', 'httplog'],
  ['signalsSeen', 'audit'],
];

const talliedAt = (name: string): number => TALLIED.findIndex(([, n]) => n === name);
const TALLY_DOCKER_JSON = talliedAt('docker-json');
const TALLY_CRI = talliedAt('cri');
const TALLY_KLOG = talliedAt('klog');
const TALLY_AUDIT_FORMAT = TALLIED.findIndex(([r, n]) => r === 'formats' && n === 'audit');
const TALLY_SATISFIED_BY = talliedAt('satisfied-by');
const TALLY_HTTPLOG = talliedAt('httplog');
const TALLY_AUDIT_SIGNAL = TALLIED.findIndex(([r, n]) => r === 'signalsSeen' && n === 'audit');

/** Outcome of looking at one message. */
const enum Seen {
  Skipped,
  /** A line of a known kind that is not itself counted (pathrecorder, other audit stages...). */
  Known,
  Counted,
}

export class LogScanner {
  private readonly scanned: ScanCounts;
  private readonly sinceMs: number;
  private readonly referenceMs: number;
  private readonly maxLineBytes: number;
  private readonly maxMinutes: number;
  private readonly pathCache = new Map<string, ParsedPath | null>();
  /** Paths seen lately as bytes, and what they parsed to (see parsePathBytes). Fixed size. */
  private readonly pathSlotBytes = Buffer.alloc(PATH_SLOTS * PATH_SLOT_BYTES);
  private readonly pathSlotLength = new Int32Array(PATH_SLOTS).fill(-1);
  private readonly pathSlotParsed: (ParsedPath | null)[] = new Array<ParsedPath | null>(PATH_SLOTS).fill(
    null,
  );
  /** Apiserver components seen in handler.go lines, by the bytes of their name. */
  private readonly componentCache: KnownComponent[] = [];
  /** Paths delimited lately, direct-mapped by their length and last bytes. Fixed size. */
  private readonly entryBytes = Buffer.alloc(ENTRY_SLOTS * ENTRY_BYTES);
  private readonly entryView = viewOf(this.entryBytes);
  private readonly entries: (PathEntry | null)[] = new Array<PathEntry | null>(ENTRY_SLOTS).fill(null);
  /** The entry of the path pathEnd just delimited; null when it is not kept. */
  private entry: PathEntry | null = null;
  /** `end - timeAt` of the last Docker line: where the time field of the next one is tried first. */
  private dockerTail = 0;
  /** Length of the last CRI line's time stamp. */
  private criStampLength = 0;
  /** The buffer `view` looks at. */
  private viewBuf: Uint8Array | null = null;
  private view: DataView = EMPTY_VIEW;
  /** The first ` resp=` at or after respFrom in respBuf (-1: none); valid until the next push. */
  private respBuf: Buffer | null = null;
  private respFrom = 0;
  private respHit = -1;
  /** Bytes of a line cut by the chunk boundary. */
  private carry: Buffer | null = null;
  /** True while dropping the rest of an over-long line. */
  private discarding = false;
  /** CRI partial (P) lines per stream, waiting for their final (F) line. */
  private readonly partials = new Map<string, { timeMs: number; parts: Buffer[]; bytes: number }>();
  private ended = false;
  /** The WebAssembly kernel, and the requests it added up. */
  private readonly kernel: LineKernel | null;
  private readonly kernelSlots: SlotSink | null;
  /** Where KernelSlots, of this scanner's kernel or of a record played here, finds what paths and components are. */
  private readonly slotHost: SlotHost = {
    pathInfo: (buf, start, end) => this.pathInfo(buf, start, end),
    channelOf: (buf, start, end) => this.handlerChannel(buf, start, end),
  };

  constructor(options: LogScanOptions = {}) {
    this.sinceMs = options.sinceMs ?? -Infinity;
    this.referenceMs = options.referenceMs ?? Date.now();
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxMinutes = options.maxMinutes ?? DEFAULT_MAX_MINUTES;
    this.kernel = options.useKernel === false ? null : createLineKernel(this.maxLineBytes, this.sinceMs);
    this.kernelSlots =
      this.kernel === null
        ? null
        : options.recordSlots
          ? new SlotRecorder(this.kernel)
          : new KernelSlots(this.kernel, this.slotHost);
    this.scanned = {
      bytesRead: 0,
      linesRead: 0,
      linesSkipped: 0,
      formats: {},
      signalsSeen: {},
      audit: new ChannelTally(this.maxMinutes),
      httplog: new ChannelTally(this.maxMinutes),
      handlers: new Map(),
    };
  }

  /** Everything counted so far (the kernel's sums carried in first; with recordSlots, recorded). */
  get counts(): ScanCounts {
    this.kernelSlots?.take();
    return this.scanned;
  }

  /** With recordSlots: the bytes of slot events recorded and not yet handed over (recordedSlots). */
  recordedBytes(): number {
    return this.kernelSlots instanceof SlotRecorder ? this.kernelSlots.recordedBytes() : 0;
  }

  /** With recordSlots: the kernel's slot events recorded up to the last `counts`, handed over once. */
  recordedSlots(): { records: SlotRecord[]; transfer: ArrayBuffer[] } {
    if (!(this.kernelSlots instanceof SlotRecorder)) return { records: [], transfer: [] };
    return this.kernelSlots.taken();
  }

  /**
   * Carries another scanner's recorded slot events (recordSlots) into this scanner's tallies, in
   * their order, as if its own kernel had sent them; the lines they come from stay counted by the
   * scanner that read them. After this scanner's own lines, its tallies come first, as in a merge.
   */
  replaySlots(records: SlotRecord[]): void {
    for (const record of records) {
      const slots = new KernelSlots(kernelOfRecord(record), this.slotHost);
      playRecord(record, slots, this.sinceMs);
      slots.take();
    }
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error('push after end');
    this.releaseHeld();
    this.pushLines(chunk);
    this.flushTallied();
  }

  /**
   * Where the caller may read the next bytes of the log to, for pushRead(): the kernel's own
   * input, so that the bytes are read once and not copied. Null without the kernel (use push()).
   */
  readBuffer(): Buffer | null {
    return this.kernel === null ? null : this.kernel.input.subarray(this.held);
  }

  /** `n` bytes were read to readBuffer(): scans them as push() would. */
  pushRead(n: number): void {
    if (this.ended) throw new Error('push after end');
    const kernel = this.kernel;
    const slots = this.kernelSlots;
    if (kernel === null || slots === null) throw new Error('pushRead without a kernel: use push()');
    if (n <= 0) return;
    this.scanned.bytesRead += n;
    this.respBuf = null;
    const input = kernel.input;
    const total = this.held + n;
    // A line longer than the input area is in this.carry (or being dropped): finish it first.
    const start = this.held === 0 ? this.finishCarried(input.subarray(0, total)) : 0;
    const lastNewline = start < 0 ? -1 : input.lastIndexOf(NL, total - 1);
    if (start >= 0 && lastNewline >= start) {
      this.kernelScan(kernel, slots, start, lastNewline + 1);
      input.copyWithin(0, lastNewline + 1, total);
      this.held = total - lastNewline - 1;
    } else if (start >= 0) {
      input.copyWithin(0, start, total);
      this.held = total - start;
      if (this.held === input.length) {
        this.hold(input, 0);
        this.held = 0;
      }
    }
    this.flushTallied();
  }

  /** Bytes of an unfinished line at the start of the kernel's input (pushRead). */
  private held = 0;

  /** The unfinished line of pushRead() to this.carry, where push() and end() look for it. */
  private releaseHeld(): void {
    if (this.held === 0 || this.kernel === null) return;
    this.hold(this.kernel.input, 0, this.held);
    this.held = 0;
  }

  private pushLines(chunk: Buffer): void {
    this.scanned.bytesRead += chunk.length;
    // The caller may refill the same buffer for the next push.
    this.respBuf = null;
    const start = this.finishCarried(chunk);
    if (start < 0) return;
    const length = chunk.length;
    if (this.kernel !== null && this.kernelSlots !== null) {
      const lastNewline = chunk.lastIndexOf(NL);
      let next = start;
      if (lastNewline >= start) {
        this.kernelLines(this.kernel, this.kernelSlots, chunk, start, lastNewline + 1);
        next = lastNewline + 1;
      }
      if (next < length) this.hold(chunk, next);
      return;
    }
    this.wholeLines(chunk, start, length);
  }

  /**
   * Ends the line carried over from earlier chunks with the first newline of `chunk`. Returns
   * where the chunk's own lines start, or -1 when it holds no newline (it was carried too).
   */
  private finishCarried(chunk: Buffer): number {
    if (this.carry === null && !this.discarding) return 0;
    const nl = chunk.indexOf(NL);
    if (nl < 0) {
      this.hold(chunk, 0);
      return -1;
    }
    if (this.discarding) {
      this.discarding = false;
      this.skipLine();
    } else if (this.carry !== null) {
      // The same limit as a line found whole in one chunk, or chunking would change the counts.
      if (this.carry.length + nl > this.maxLineBytes) {
        this.carry = null;
        this.skipLine();
      } else {
        const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
        this.carry = null;
        this.line(line, 0, line.length);
      }
    }
    return nl + 1;
  }

  /** The lines of `buf[from, to)`, read here; the last one may lack its newline (then it is held). */
  private wholeLines(buf: Buffer, from: number, to: number): void {
    let start = from;
    while (start < to) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0 || nl >= to) {
        this.hold(buf, start, to);
        return;
      }
      if (nl - start > this.maxLineBytes) this.skipLine();
      else this.line(buf, start, nl);
      start = nl + 1;
    }
  }

  /**
   * The whole lines `buf[from, to)` (`to` just past a newline), through the kernel: copied into
   * its input a window at a time (windows end at a newline; a line longer than the input is read
   * here), and its events played in line order.
   */
  private kernelLines(kernel: LineKernel, slots: SlotSink, buf: Buffer, from: number, to: number): void {
    const room = kernel.input.length;
    let p = from;
    while (p < to) {
      let windowEnd = to;
      if (to - p > room) {
        windowEnd = buf.lastIndexOf(NL, p + room - 1) + 1;
        if (windowEnd <= p) {
          const nl = buf.indexOf(NL, p);
          this.wholeLines(buf, p, nl + 1);
          p = nl + 1;
          continue;
        }
      }
      buf.copy(kernel.input, 0, p, windowEnd);
      this.kernelScan(kernel, slots, 0, windowEnd - p);
      p = windowEnd;
    }
  }

  /** Scans the kernel's input[from, to) (whole lines) and plays its events. */
  private kernelScan(kernel: LineKernel, slots: SlotSink, from: number, to: number): void {
    let p = from;
    const status = kernel.status;
    while (p < to) {
      // CRI final lines that complete partial ones are joined here: the kernel hands them back.
      status[STATUS_PARTIAL_STDOUT] = this.partials.has('stdout') ? 1 : 0;
      status[STATUS_PARTIAL_STDERR] = this.partials.has('stderr') ? 1 : 0;
      const events = kernel.scan(p, to);
      // The input's bytes changed since respWithin looked.
      this.respBuf = null;
      this.kernelEvents(kernel, slots, events);
      // The lines after the first of their kind, counted by the kernel alone (see kernel.ts).
      const knownDocker = status[STATUS_KNOWN_DOCKER]!;
      const skippedDocker = status[STATUS_SKIPPED_DOCKER]!;
      const knownCri = status[STATUS_KNOWN_CRI]!;
      const skippedCri = status[STATUS_SKIPPED_CRI]!;
      this.scanned.linesRead += knownDocker + skippedDocker + knownCri + skippedCri;
      this.scanned.linesSkipped += skippedDocker + skippedCri;
      this.pending[TALLY_DOCKER_JSON]! += knownDocker + skippedDocker;
      this.pending[TALLY_CRI]! += knownCri + skippedCri;
      this.pending[TALLY_SATISFIED_BY]! += knownDocker + knownCri;
      if (status[STATUS_PATHS_FULL]) {
        slots.take();
        slots.clear();
      }
      p = status[STATUS_STOPPED]!;
    }
  }

  private kernelEvents(kernel: LineKernel, slots: SlotSink, events: number): void {
    const { heads, times, input, runWords } = kernel;
    const counts = this.scanned;
    for (let i = 0; i < events; i++) {
      const at = i * 4;
      const head = heads[at]!;
      switch (head & 0xff) {
        case EV_SATISFIED:
          counts.linesRead++;
          this.format(head >>> 24 ? 'cri' : 'docker-json');
          this.signal('satisfied-by');
          break;
        case EV_SKIPPED:
          counts.linesRead++;
          counts.linesSkipped++;
          this.format(head >>> 24 ? 'cri' : 'docker-json');
          break;
        case EV_FALLBACK:
          this.wholeLines(input, heads[at + 2]!, heads[at + 3]!);
          break;
        case EV_NEW_COMPONENT:
          slots.component((head >>> 8) & 0xff);
          break;
        case EV_NEW_SLOT:
          slots.slotSeen(heads[at + 1]!, times[i]!);
          break;
        case EV_MINUTES:
          slots.minutes(heads[at + 1]!, times[i]!, runWords, i * MINUTES_PER_SLOT);
          break;
        case EV_REQUEST:
          counts.linesRead++;
          this.format(head >>> 24 ? 'cri' : 'docker-json');
          this.signal('satisfied-by');
          slots.request(heads[at + 1]!, (head >>> 8) & 0xff, (head >>> 16) & 0xff, times[i]!, this.sinceMs);
          break;
        default:
          throw new Error(`log scanner kernel: unknown event ${head & 0xff}`);
      }
    }
  }

  /** A path the kernel names: its bytes `buf[start, end)`, query included (from its first `?`). */
  private pathInfo(buf: Buffer, start: number, end: number): { parsed: ParsedPath | null; getVerb: number } {
    const question = indexWithin(buf, QUERY_MARK, start, end);
    return this.readPathAt(buf, start, question < 0 ? end : question, end);
  }

  /** The path `buf[start, end)` with its query from `queryAt`: its parse, and what a GET to it counts as. */
  private readPathAt(
    buf: Buffer,
    start: number,
    queryAt: number,
    end: number,
  ): { parsed: ParsedPath | null; getVerb: number } {
    const parsed = this.parsePathBytes(buf, start, queryAt);
    if (parsed === null) return { parsed, getVerb: VERB.GET };
    const watchQuery = queryAt < end && this.watchQuery(buf, queryAt, end);
    return { parsed, getVerb: refineRead(VERB.GET, parsed, watchQuery) };
  }

  /**
   * Ends one byte range of a file scanned apart, as end() would end a scanner of its own, and
   * readies the scanner for the next range: the counts (and what the scanner has learnt) go on.
   */
  endRange(): void {
    this.end();
    this.ended = false;
  }

  /** A last line without a newline still counts; CRI partials never finished are skipped. */
  end(): void {
    if (this.ended) return;
    this.releaseHeld();
    this.ended = true;
    this.respBuf = null;
    if (this.discarding) this.skipLine();
    else if (this.carry !== null && this.carry.length) this.line(this.carry, 0, this.carry.length);
    this.carry = null;
    this.discarding = false;
    for (const pending of this.partials.values()) {
      this.scanned.linesSkipped += pending.parts.length;
    }
    this.partials.clear();
    this.flushTallied();
  }

  /** Keeps `chunk[from, to)`, the start of a line that goes on in the next chunk (a copy). */
  private hold(chunk: Buffer, from: number, to = chunk.length): void {
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

  private skipLine(): void {
    this.scanned.linesRead++;
    this.scanned.linesSkipped++;
  }

  /**
   * Lines per format and signal, kept as integers and added to counts at the end of each push:
   * a property looked up by name on every line cost more than the rest of many a line. A name is
   * put in counts when first seen, so that the records keep their order.
   */
  private readonly pending = new Int32Array(TALLIED.length);

  private format(name: LogFormat): void {
    this.tallied(
      name === 'docker-json'
        ? TALLY_DOCKER_JSON
        : name === 'cri'
          ? TALLY_CRI
          : name === 'klog'
            ? TALLY_KLOG
            : TALLY_AUDIT_FORMAT,
    );
  }

  private signal(name: Signal): void {
    this.tallied(
      name === 'satisfied-by' ? TALLY_SATISFIED_BY : name === 'httplog' ? TALLY_HTTPLOG : TALLY_AUDIT_SIGNAL,
    );
  }

  private tallied(index: number): void {
    if (this.pending[index]!++ === 0) {
      const [record, name] = TALLIED[index]!;
      if (!(name in this.scanned[record])) (this.scanned[record] as Record<string, number>)[name] = 0;
    }
  }

  private flushTallied(): void {
    for (let i = 0; i < TALLIED.length; i++) {
      const n = this.pending[i]!;
      if (n === 0) continue;
      const [record, name] = TALLIED[i]!;
      const into = this.scanned[record] as Record<string, number>;
      into[name] = (into[name] ?? 0) + n;
      this.pending[i] = 0;
    }
  }

  private viewFor(buf: Uint8Array): DataView {
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = viewOf(buf);
    }
    return this.view;
  }

  /** One line, `buf[start, end)`, newline excluded. */
  private line(buf: Buffer, start: number, end: number): void {
    this.scanned.linesRead++;
    if (end > start && buf[end - 1] === CR) end--;
    const first = buf[start];
    let seen: Seen = Seen.Skipped;
    if (first === 0x7b) {
      seen = this.jsonLine(buf, start, end);
    } else if (isDigit(first)) {
      seen = this.criLine(buf, start, end);
    } else if (first === 0x49 || first === 0x57 || first === 0x45 || first === 0x46) {
      const timeMs = parseKlogTimeView(this.viewFor(buf), buf, start + 1, end, this.referenceMs);
      if (!Number.isNaN(timeMs)) {
        this.format('klog');
        seen = this.klogMessage(buf, start, end, false, timeMs);
      }
    }
    if (seen === Seen.Skipped) this.scanned.linesSkipped++;
  }

  private jsonLine(buf: Buffer, start: number, end: number): Seen {
    this.needsSlowPath = false;
    const view = this.viewFor(buf);
    if (matchPattern(view, start, end, DOCKER_PREFIX)) {
      // Docker json-file: {"log":"<klog line>\n","stream":"stderr","time":"<RFC3339Nano>"}.
      // The time is the last field; inside the log string every quote is escaped, so the last
      // `"time":"` of the line is the field.
      if (buf[end - 1] !== 0x7d) return Seen.Skipped;
      // Tried where the line before had it, and a byte or two later (Docker drops the trailing
      // zeros of the nanoseconds): a stamp that parses and ends just before the closing `"}`
      // holds no quote, so no later `"time":"` exists and this is the one the search finds.
      let timeAt = -1;
      let timeMs = NaN;
      if (buf[end - 2] === QUOTE) {
        for (let k = 0; k < 3; k++) {
          const at = end - this.dockerTail + k;
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
          this.dockerTail = end - timeAt;
        }
      }
      if (!Number.isNaN(timeMs)) {
        this.format('docker-json');
        const seen = this.klogMessage(buf, start + DOCKER_PREFIX.length, timeAt, true, timeMs);
        if (!this.needsSlowPath) return seen;
        return this.parsedJsonLine(buf, start, end, true);
      }
    }
    return this.parsedJsonLine(buf, start, end, false);
  }

  /** Set by klogMessage when a request line has escapes the byte parser leaves to JSON.parse. */
  private needsSlowPath = false;
  /** Set by findPathEnd: where the path's query starts (its first `?`), -1 without a query. */
  private queryAt = -1;

  private parsedJsonLine(buf: Buffer, start: number, end: number, formatCounted: boolean): Seen {
    const isAudit =
      !formatCounted &&
      indexWithin(buf, AUDIT_KIND, start, end) >= 0 &&
      indexWithin(buf, AUDIT_API_VERSION, start, end) >= 0;
    if (isAudit && indexWithin(buf, STAGE_COMPLETE, start, end) < 0 && closedJsonObject(buf, start, end)) {
      // RequestReceived / ResponseStarted: the same request is counted at ResponseComplete.
      // (A truncated event is no event: it goes on to JSON.parse and is skipped.)
      this.format('audit');
      return Seen.Known;
    }
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      return Seen.Skipped;
    }
    if (typeof value !== 'object' || value === null) return Seen.Skipped;
    const record = value as Record<string, unknown>;
    if (typeof record.log === 'string' && typeof record.time === 'string') {
      const timeBytes = Buffer.from(record.time, 'latin1');
      const timeMs = parseRfc3339(timeBytes, 0, timeBytes.length);
      if (Number.isNaN(timeMs)) return Seen.Skipped;
      if (!formatCounted) this.format('docker-json');
      this.needsSlowPath = false;
      const message = Buffer.from(record.log, 'utf8');
      let messageEnd = message.length;
      while (messageEnd > 0 && (message[messageEnd - 1] === NL || message[messageEnd - 1] === CR))
        messageEnd--;
      return this.klogMessage(message, 0, messageEnd, false, timeMs);
    }
    if (
      record.kind === 'Event' &&
      typeof record.apiVersion === 'string' &&
      record.apiVersion.startsWith('audit.k8s.io/')
    ) {
      this.format('audit');
      return this.auditEvent(record);
    }
    return Seen.Skipped;
  }

  private auditEvent(event: Record<string, unknown>): Seen {
    if (event.stage !== 'ResponseComplete') return Seen.Known;
    this.signal('audit');
    const ref = event.objectRef as Record<string, unknown> | undefined;
    const verbName = event.verb;
    const stamp =
      typeof event.requestReceivedTimestamp === 'string'
        ? event.requestReceivedTimestamp
        : event.stageTimestamp;
    if (typeof verbName !== 'string' || typeof stamp !== 'string') return Seen.Skipped;
    const stampBytes = Buffer.from(stamp, 'latin1');
    const timeMs = parseRfc3339(stampBytes, 0, stampBytes.length);
    if (Number.isNaN(timeMs)) return Seen.Skipped;
    if (typeof ref !== 'object' || ref === null || typeof ref.resource !== 'string') return Seen.Known;
    const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
    const group = str(ref.apiGroup) ?? '';
    const version = str(ref.apiVersion) ?? (group ? '' : 'v1');
    const path =
      (group ? `/apis/${group}/${version}` : `/api/${version}`) +
      (str(ref.namespace) ? `/namespaces/${str(ref.namespace)}` : '') +
      `/${ref.resource}` +
      (str(ref.name) ? `/${str(ref.name)}` : '') +
      (str(ref.name) && str(ref.subresource) ? `/${str(ref.subresource)}` : '');
    const parsed = this.parsePath(path);
    if (parsed === null) return Seen.Known;
    if (timeMs < this.sinceMs) return Seen.Known;
    this.scanned.audit.record(parsed.key, parsed.ref, verbIndex(verbName), timeMs);
    return Seen.Counted;
  }

  private criLine(buf: Buffer, start: number, end: number): Seen {
    // <RFC3339Nano> stdout|stderr F|P <message>
    const view = this.viewFor(buf);
    // The stamp is tried at the line before's length: when it parses and ends at a space, that is
    // the first space (the parsed bytes hold none, the date-time separator checked apart).
    let space = start + this.criStampLength;
    let timeMs = NaN;
    if (this.criStampLength > 0 && space + 10 <= end && buf[space] === SPACE && buf[start + 10] !== SPACE) {
      timeMs = sameSecondUtc(view, buf, start, space - 1);
      if (Number.isNaN(timeMs)) timeMs = parseRfc3339View(view, buf, start, space);
      if (rfc3339End.at !== space) timeMs = NaN;
    }
    if (Number.isNaN(timeMs)) {
      space = buf.indexOf(SPACE, start);
      if (space < 0 || space > start + 40 || space + 10 > end) return Seen.Skipped;
      timeMs = parseRfc3339View(view, buf, start, space);
      if (Number.isNaN(timeMs)) return Seen.Skipped;
      this.criStampLength = space - start;
    }
    const streamAt = space + 1;
    if (buf[streamAt + 6] !== SPACE || buf[streamAt + 8] !== SPACE) return Seen.Skipped;
    const std = view.getInt32(streamAt, true);
    const stream =
      std === STDE && buf[streamAt + 4] === 0x72 && buf[streamAt + 5] === 0x72
        ? 'stderr'
        : std === STDO && buf[streamAt + 4] === 0x75 && buf[streamAt + 5] === 0x74
          ? 'stdout'
          : null;
    if (stream === null) return Seen.Skipped;
    const tag = buf[streamAt + 7];
    const messageAt = streamAt + 9;
    this.format('cri');
    if (tag === 0x50 /* P */) {
      let pending = this.partials.get(stream);
      if (pending === undefined) {
        pending = { timeMs, parts: [], bytes: 0 };
        this.partials.set(stream, pending);
      }
      pending.parts.push(Buffer.from(buf.subarray(messageAt, end)));
      pending.bytes += end - messageAt;
      if (pending.bytes > this.maxLineBytes) {
        // A runaway partial: give up on the whole message.
        this.scanned.linesSkipped += pending.parts.length - 1;
        this.partials.delete(stream);
        return Seen.Skipped;
      }
      // Counted (or skipped) with its final line.
      return Seen.Known;
    }
    if (tag !== 0x46 /* F */) return Seen.Skipped;
    const pending = this.partials.get(stream);
    if (pending !== undefined) {
      this.partials.delete(stream);
      pending.parts.push(buf.subarray(messageAt, end));
      const joined = Buffer.concat(pending.parts);
      const seen = this.criMessage(joined, 0, joined.length, pending.timeMs);
      // The partial lines share the fate of the message they belong to.
      if (seen === Seen.Skipped) this.scanned.linesSkipped += pending.parts.length - 1;
      return seen;
    }
    return this.criMessage(buf, messageAt, end, timeMs);
  }

  private criMessage(buf: Buffer, start: number, end: number, timeMs: number): Seen {
    const first = buf[start];
    if (first === 0x49 || first === 0x57 || first === 0x45 || first === 0x46) {
      return this.klogMessage(buf, start, end, false, timeMs);
    }
    return Seen.Skipped;
  }

  /**
   * A klog line at `start` (`Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`). `escaped` when the
   * line sits inside a JSON string, where its quotes are written `\"`.
   */
  private klogMessage(buf: Buffer, start: number, end: number, escaped: boolean, timeMs: number): Seen {
    // Severity, mmdd, space, hh:mm:ss.uuuuuu, then spaces, thread id, space, file:line] .
    if (buf[start + 5] !== SPACE || buf[start + 8] !== 0x3a) return Seen.Skipped;
    const view = this.viewFor(buf);
    const message = this.klogFile(buf, view, start + 21, end);
    if (message < 0) return Seen.Skipped;
    const kind = this.fileKind;
    if (kind === 2) return this.httplogLine(buf, view, message, end, escaped, timeMs);
    // `<component>: ` then, for handler.go, `<VERB> "<path>" satisfied by ...`;
    // for pathrecorder.go, `"<path>" satisfied by ...` (no verb: it is the second line of the pair).
    // A known component's name followed by its colon is where the scan for the first colon stops
    // (the name holds no colon and is shorter than the scan's reach).
    let colon = -1;
    let channel: ChannelTally | null = null;
    const components = this.componentCache;
    for (let i = 0; i < components.length; i++) {
      const known = components[i]!;
      const at = message + known.name.length;
      if (at < end && buf[at] === 0x3a && equalBytes(view, message, known.view, 0, known.name.length)) {
        colon = at;
        channel = known.channel;
        break;
      }
    }
    if (colon < 0) {
      colon = message;
      const componentLimit = Math.min(end, message + 64);
      while (colon < componentLimit && buf[colon] !== 0x3a) colon++;
      if (colon === message || colon >= componentLimit) return Seen.Skipped;
    }
    if (buf[colon + 1] !== SPACE) return Seen.Skipped;
    if (kind === 1) {
      const pathEnd = this.pathEnd(buf, view, colon + 2, end, escaped);
      if (pathEnd < 0 || !matchPattern(view, pathEnd, end, SATISFIED_BY)) return Seen.Skipped;
      this.signal('satisfied-by');
      return Seen.Known;
    }
    const verbAt = colon + 2;
    let verbEnd: number;
    let verb: number;
    // The common methods by one word: three letters and the space.
    const word = verbAt + 4 <= end ? view.getInt32(verbAt, true) : 0;
    if (word === GET_) {
      verb = VERB.GET;
      verbEnd = verbAt + 3;
    } else if (word === PUT_) {
      verb = VERB.PUT;
      verbEnd = verbAt + 3;
    } else {
      verbEnd = verbAt;
      while (verbEnd < end && buf[verbEnd]! >= 0x41 && buf[verbEnd]! <= 0x5a) verbEnd++;
      if (verbEnd === verbAt || buf[verbEnd] !== SPACE) return Seen.Skipped;
      verb = verbFromBytes(buf, verbAt, verbEnd);
    }
    const pathStart = verbEnd + 1 + (escaped ? 2 : 1);
    const pathEnd = this.pathEnd(buf, view, verbEnd + 1, end, escaped);
    if (pathEnd < 0) return Seen.Skipped;
    if (!matchPattern(view, pathEnd, end, SATISFIED_BY)) return Seen.Skipped;
    this.signal('satisfied-by');
    channel ??= this.handlerChannel(buf, message, colon);
    const closing = pathEnd - (escaped ? 2 : 1);
    return this.countRequest(channel, buf, verb, pathStart, closing, timeMs);
  }

  /** Set by klogFile: 0 handler.go, 1 pathrecorder.go, 2 httplog.go. */
  private fileKind = 0;

  /**
   * The thread id and `file:line] ` of a klog line from `at` (just past the time), walked; where
   * the message starts, or -1 when the file is none of handler.go, pathrecorder.go, httplog.go.
   */
  private klogFile(buf: Buffer, view: DataView, at: number, end: number): number {
    let p = at;
    while (p < end && buf[p] === SPACE) p++;
    if (!isDigit(buf[p])) return -1;
    while (p < end && isDigit(buf[p])) p++;
    if (buf[p] !== SPACE) return -1;
    const file = p + 1;
    let kind: 0 | 1 | 2;
    let q: number;
    if (matchPattern(view, file, end, HANDLER_GO)) {
      kind = 0;
      q = file + HANDLER_GO.length;
    } else if (matchPattern(view, file, end, PATHRECORDER_GO)) {
      kind = 1;
      q = file + PATHRECORDER_GO.length;
    } else if (matchPattern(view, file, end, HTTPLOG_GO)) {
      kind = 2;
      q = file + HTTPLOG_GO.length;
    } else {
      return -1;
    }
    while (q < end && isDigit(buf[q])) q++;
    if (buf[q] !== 0x5d || buf[q + 1] !== SPACE) return -1;
    const message = q + 2;
    this.fileKind = kind;
    return message;
  }

  /** The tally of the apiserver component named by `buf[at, end)`; found by its bytes when seen before. */
  private handlerChannel(buf: Buffer, at: number, end: number): ChannelTally {
    const length = end - at;
    const view = this.viewFor(buf);
    for (const known of this.componentCache) {
      if (known.name.length === length && equalBytes(view, at, known.view, 0, length)) return known.channel;
    }
    const component = buf.toString('latin1', at, end);
    let channel = this.scanned.handlers.get(component);
    if (channel === undefined) {
      channel = new ChannelTally(this.maxMinutes);
      this.scanned.handlers.set(component, channel);
    }
    if (this.componentCache.length < 16) {
      const name = Buffer.from(buf.subarray(at, end));
      this.componentCache.push({ name, view: viewOf(name), channel });
    }
    return channel;
  }

  /**
   * findPathEnd, tried first against the path delimited last: the same bytes followed by the same
   * closing quote are delimited the same way (the walk looks at nothing past the quote), so the
   * lines after the first of a request cost a comparison of words and no walk. A path that was
   * walked is then looked up among the paths seen lately, for what counting it needs.
   */
  private pathEnd(buf: Buffer, view: DataView, at: number, end: number, escaped: boolean): number {
    const quote = escaped ? 2 : 1;
    const start = at + quote;
    const last = this.entry;
    if (last !== null && this.quoteAt(buf, at, escaped)) {
      const close = start + last.length;
      if (
        close + quote <= end &&
        (escaped || !last.escapedOnly) &&
        this.quoteAt(buf, close, escaped) &&
        equalBytes(view, start, this.entryView, last.offset, last.length)
      ) {
        this.needsSlowPath = false;
        this.queryAt = last.queryOffset < 0 ? -1 : start + last.queryOffset;
        return close + quote;
      }
    }
    const pathEnd = this.findPathEnd(buf, at, end, escaped);
    this.entry = pathEnd < 0 ? null : this.entryFor(buf, view, start, pathEnd - quote);
    return pathEnd;
  }

  /** The entry of the path `buf[start, close)` just walked, made when it is not there. */
  private entryFor(buf: Buffer, view: DataView, start: number, close: number): PathEntry | null {
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
    entry.escapedOnly = this.pathEscapes;
    entry.queryOffset = this.queryAt < 0 ? -1 : this.queryAt - start;
    entry.parsedKnown = false;
    entry.parsed = null;
    entry.channel0 = entry.channel1 = entry.channel2 = entry.channel3 = null;
    entry.tally0 = entry.tally1 = entry.tally2 = entry.tally3 = null;
    return entry;
  }

  /** Set by findPathEnd: the path it delimited holds a `\u` escape. */
  private pathEscapes = false;

  /**
   * Given the opening quote at `at`, the index just past the closing quote, or -1. Inside a JSON
   * string a backslash in the path (other than the closing `\"`) needs a real JSON decode: the
   * caller then takes the slow path. In the query part `\u0026` (Docker's `&`) is fine.
   */
  private findPathEnd(buf: Buffer, at: number, end: number, escaped: boolean): number {
    this.needsSlowPath = false;
    this.queryAt = -1;
    this.pathEscapes = false;
    let p = at;
    if (escaped) {
      if (buf[p] !== BACKSLASH || buf[p + 1] !== QUOTE) return -1;
      p += 2;
    } else {
      if (buf[p] !== QUOTE) return -1;
      p += 1;
    }
    let inQuery = false;
    const limit = Math.min(end, p + 8192);
    while (p < limit) {
      const c = buf[p]!;
      if (c === QUOTE) {
        if (escaped) {
          this.needsSlowPath = true;
          return -1;
        }
        return p + 1;
      }
      if (c === BACKSLASH) {
        if (escaped && buf[p + 1] === QUOTE) return p + 2;
        if (escaped && inQuery && buf[p + 1] === 0x75 /* u */) {
          this.pathEscapes = true;
          p += 6;
          continue;
        }
        this.needsSlowPath = escaped;
        return -1;
      }
      if (c === 0x3f && !inQuery) {
        inQuery = true;
        this.queryAt = p;
      }
      p++;
    }
    return -1;
  }

  private httplogLine(
    buf: Buffer,
    view: DataView,
    at: number,
    end: number,
    escaped: boolean,
    timeMs: number,
  ): Seen {
    // "HTTP" verb="PUT" URI="/apis/..." latency="2.1ms" userAgent="..." audit-ID="..." srcIP="..." resp=200
    const quoteLength = escaped ? 2 : 1;
    if (!this.quoteAt(buf, at, escaped) || !matchPattern(view, at + quoteLength, end, HTTP_VERB))
      return Seen.Skipped;
    let p = at + quoteLength + HTTP_VERB.length;
    if (!this.quoteAt(buf, p, escaped)) return Seen.Skipped;
    p += quoteLength;
    if (!matchPattern(view, p, end, VERB_ATTR)) return Seen.Skipped;
    p += VERB_ATTR.length;
    if (!this.quoteAt(buf, p, escaped)) return Seen.Skipped;
    const verbAt = p + quoteLength;
    let verbEnd = verbAt;
    while (verbEnd < end && buf[verbEnd]! >= 0x41 && buf[verbEnd]! <= 0x5a) verbEnd++;
    if (verbEnd === verbAt || !this.quoteAt(buf, verbEnd, escaped)) return Seen.Skipped;
    p = verbEnd + quoteLength;
    if (!matchPattern(view, p, end, URI_ATTR)) return Seen.Skipped;
    p += URI_ATTR.length;
    const pathEnd = this.pathEnd(buf, view, p, end, escaped);
    if (pathEnd < 0) return Seen.Skipped;
    if (!this.respWithin(buf, pathEnd, end)) return Seen.Skipped;
    this.signal('httplog');
    return this.countRequest(
      this.scanned.httplog,
      buf,
      verbFromBytes(buf, verbAt, verbEnd),
      p + quoteLength,
      pathEnd - quoteLength,
      timeMs,
    );
  }

  /**
   * Whether ` resp=` lies within `buf[from, limit)`. The first one at or after `from` anywhere in
   * the buffer answers (it is inside when any is); it is kept, and answers every later `from` up
   * to it, so that lines without one do not search the rest of the chunk again and again.
   */
  private respWithin(buf: Buffer, from: number, limit: number): boolean {
    if (buf !== this.respBuf || from < this.respFrom || (this.respHit >= 0 && from > this.respHit)) {
      this.respBuf = buf;
      this.respFrom = from;
      this.respHit = buf.indexOf(RESP_ATTR, from);
    }
    return this.respHit >= 0 && this.respHit + RESP_ATTR.length <= limit;
  }

  private quoteAt(buf: Buffer, at: number, escaped: boolean): boolean {
    return escaped ? buf[at] === BACKSLASH && buf[at + 1] === QUOTE : buf[at] === QUOTE;
  }

  /**
   * `buf[pathStart, pathEnd)` is the request URI, query included, just delimited by pathEnd
   * (which noted where the query starts, and set `entry` to the path's entry when it keeps one);
   * `verb` is the logged method's VERB.
   */
  private countRequest(
    channel: ChannelTally,
    buf: Buffer,
    verb: number,
    pathStart: number,
    pathEnd: number,
    timeMs: number,
  ): Seen {
    const entry = this.entry;
    if (entry === null) return this.countUncached(channel, buf, verb, pathStart, pathEnd, timeMs);
    if (!entry.parsedKnown) this.parseEntry(entry, buf, pathStart, pathEnd);
    const parsed = entry.parsed;
    // A request to a non-resource path (/healthz, discovery) is known but addresses no object.
    if (parsed === null) return Seen.Known;
    if (timeMs < this.sinceMs) return Seen.Known;
    const counted = verb === VERB.GET ? entry.getVerb : verb === VERB.OTHER ? entry.otherVerb : verb;
    if (entry.channel0 === channel) channel.countAt(entry.id0, entry.tally0!, counted, timeMs);
    else if (entry.channel1 === channel) channel.countAt(entry.id1, entry.tally1!, counted, timeMs);
    else if (entry.channel2 === channel) channel.countAt(entry.id2, entry.tally2!, counted, timeMs);
    else if (entry.channel3 === channel) channel.countAt(entry.id3, entry.tally3!, counted, timeMs);
    else channel.count(this.entryTally(entry, channel, parsed, timeMs), counted, timeMs);
    return Seen.Counted;
  }

  private parseEntry(entry: PathEntry, buf: Buffer, pathStart: number, pathEnd: number): void {
    const queryAt = this.queryAt >= pathStart && this.queryAt < pathEnd ? this.queryAt : pathEnd;
    const { parsed, getVerb } = this.readPathAt(buf, pathStart, queryAt, pathEnd);
    entry.parsed = parsed;
    entry.parsedKnown = true;
    if (parsed === null) return;
    entry.getVerb = getVerb;
    entry.otherVerb = parsed.watchPath ? VERB.WATCH : VERB.OTHER;
  }

  /** The tally of the entry's object in `channel`, kept in the entry when it is one countAt() takes. */
  private entryTally(
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

  /** countRequest for a path not kept in an entry. */
  private countUncached(
    channel: ChannelTally,
    buf: Buffer,
    logged: number,
    pathStart: number,
    pathEnd: number,
    timeMs: number,
  ): Seen {
    const queryAt = this.queryAt >= pathStart && this.queryAt < pathEnd ? this.queryAt : pathEnd;
    const parsed = this.parsePathBytes(buf, pathStart, queryAt);
    if (parsed === null) return Seen.Known;
    if (timeMs < this.sinceMs) return Seen.Known;
    const watchQuery = queryAt < pathEnd && this.watchQuery(buf, queryAt, pathEnd);
    const verb = refineRead(logged, parsed, watchQuery);
    channel.record(
      parsed.key,
      parsed.ref,
      verb === VERB.OTHER && parsed.watchPath ? VERB.WATCH : verb,
      timeMs,
    );
    return Seen.Counted;
  }

  private watchQuery(buf: Buffer, queryAt: number, pathEnd: number): boolean {
    return (
      indexWithin(buf, WATCH_TRUE, queryAt, pathEnd) >= 0 ||
      indexWithin(buf, WATCH_ONE, queryAt, pathEnd) >= 0
    );
  }

  /**
   * The path `buf[start, end)` parsed. Paths seen lately are kept as bytes in a direct-mapped
   * table (slot from the length and the last bytes, where paths differ most), so that a path seen
   * before costs a byte comparison and no string; a slot taken by another path is just a miss.
   */
  private parsePathBytes(buf: Buffer, start: number, end: number): ParsedPath | null {
    const length = end - start;
    if (length > PATH_SLOT_BYTES || length < 8) return this.parsePath(latin1(buf, start, end));
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
    const parsed = this.parsePath(latin1(buf, start, end));
    buf.copy(bytes, offset, start, end);
    this.pathSlotLength[slot] = length;
    this.pathSlotParsed[slot] = parsed;
    return parsed;
  }

  private parsePath(path: string): ParsedPath | null {
    let parsed = this.pathCache.get(path);
    if (parsed === undefined) {
      parsed = parseRequestPath(path);
      if (this.pathCache.size >= MAX_PATH_CACHE) this.pathCache.clear();
      this.pathCache.set(path, parsed);
    }
    return parsed;
  }
}
