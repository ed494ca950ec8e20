import { parseKlogTimeView } from './time.js';
import { type ParsedPath, VERB, refineRead } from './request-path.js';
import type { ChannelTally } from './tally.js';
import { equalBytes, matchPattern, viewOf } from './bytes.js';
import { BACKSLASH, CR, QUOTE, SPACE, ascii, indexWithin, isDigit, latin1 } from './ascii.js';
import type { Components, LineTallies, ScanCounts } from './scan-counts.js';
import { type PathEntry, type PathTable, entryTally } from './path-table.js';
import {
  DOCKER_PREFIX,
  type DockerTime,
  dockerRecordMessage,
  dockerRecordTime,
  isDockerRecord,
} from './docker-json.js';
import { CRI_FINAL, CRI_PARTIAL, type CriLines } from './cri.js';
import { auditRequest, earlyAuditStage, isAuditEvent, isResponseComplete } from './audit.js';
import {
  FILE_HTTPLOG,
  FILE_PATHRECORDER,
  GET_,
  HTTP_VERB,
  PUT_,
  RESP_ATTR,
  SATISFIED_BY,
  URI_ATTR,
  VERB_ATTR,
  isSeverity,
  klogFile,
  klogFileKind,
  verbFromBytes,
} from './klog.js';

/**
 * The scanner's hot loop: one line, from its first byte to its count. The format is told by the
 * first byte (Docker json-file and audit `{`, CRI a digit, klog a severity letter); the format's
 * envelope is read with its module (docker-json.ts, cri.ts, audit.ts, klog.ts), and the klog
 * message inside, where the requests are, is walked here: component, verb, path, count. These
 * stay in one class, calling each other directly, because V8 inlines them into each other (the
 * figures in the closing note of issue 2): a line that is not a request costs no string and no
 * JSON.parse, and a request seen before costs comparisons of words and no Map look-up.
 *
 * A request leaves several lines in a row naming the same path (satisfied-by lines of each
 * component, an httplog line), and a log's lines share their layout: what the line before taught
 * (where its time field was, its component, its path and what it parsed to) is tried first, by
 * comparing words, and only a line that differs is walked byte by byte. Each shortcut is taken
 * only where it gives what the walk would give, so the counts never depend on it.
 */

const WATCH_TRUE = ascii('watch=true');
const WATCH_ONE = ascii('watch=1');

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** Outcome of looking at one message. */
const enum Seen {
  Skipped,
  /** A line of a known kind that is not itself counted (pathrecorder, other audit stages...). */
  Known,
  Counted,
}

export interface LineReaderParts {
  scanned: ScanCounts;
  tallies: LineTallies;
  components: Components;
  paths: PathTable;
  docker: DockerTime;
  cri: CriLines;
  sinceMs: number;
  referenceMs: number;
  maxLineBytes: number;
}

export class LineReader {
  private readonly scanned: ScanCounts;
  private readonly tallies: LineTallies;
  private readonly components: Components;
  private readonly paths: PathTable;
  private readonly entryView: DataView;
  private readonly docker: DockerTime;
  private readonly cri: CriLines;
  private readonly sinceMs: number;
  private readonly referenceMs: number;
  private readonly maxLineBytes: number;
  /** The buffer `view` looks at. */
  private viewBuf: Uint8Array | null = null;
  private view: DataView = EMPTY_VIEW;
  /** The first ` resp=` at or after respFrom in respBuf (-1: none); valid until forgetInput. */
  private respBuf: Buffer | null = null;
  private respFrom = 0;
  private respHit = -1;
  /** The entry of the path pathEnd just delimited; null when it is not kept. */
  private entry: PathEntry | null = null;
  /** Set by klogMessage when a request line has escapes the byte parser leaves to JSON.parse. */
  private needsSlowPath = false;
  /** Set by findPathEnd: where the path's query starts (its first `?`), -1 without a query. */
  private queryAt = -1;
  /** Set by findPathEnd: the path it delimited holds a `\u` escape. */
  private pathEscapes = false;

  constructor(parts: LineReaderParts) {
    this.scanned = parts.scanned;
    this.tallies = parts.tallies;
    this.components = parts.components;
    this.paths = parts.paths;
    this.entryView = parts.paths.entryView;
    this.docker = parts.docker;
    this.cri = parts.cri;
    this.sinceMs = parts.sinceMs;
    this.referenceMs = parts.referenceMs;
    this.maxLineBytes = parts.maxLineBytes;
  }

  /** The caller may refill the buffer it pushed (or the kernel rewrite its input): nothing found in it is kept. */
  forgetInput(): void {
    this.respBuf = null;
  }

  skipLine(): void {
    this.scanned.linesRead++;
    this.scanned.linesSkipped++;
  }

  private viewFor(buf: Uint8Array): DataView {
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = viewOf(buf);
    }
    return this.view;
  }

  /** One line, `buf[start, end)`, newline excluded. */
  line(buf: Buffer, start: number, end: number): void {
    this.scanned.linesRead++;
    if (end > start && buf[end - 1] === CR) end--;
    const first = buf[start];
    let seen: Seen = Seen.Skipped;
    if (first === 0x7b) {
      seen = this.jsonLine(buf, start, end);
    } else if (isDigit(first)) {
      seen = this.criLine(buf, start, end);
    } else if (isSeverity(first)) {
      const timeMs = parseKlogTimeView(this.viewFor(buf), buf, start + 1, end, this.referenceMs);
      if (!Number.isNaN(timeMs)) {
        this.tallies.format('klog');
        seen = this.klogMessage(buf, start, end, false, timeMs);
      }
    }
    if (seen === Seen.Skipped) this.scanned.linesSkipped++;
  }

  private jsonLine(buf: Buffer, start: number, end: number): Seen {
    this.needsSlowPath = false;
    const view = this.viewFor(buf);
    if (matchPattern(view, start, end, DOCKER_PREFIX)) {
      if (buf[end - 1] !== 0x7d) return Seen.Skipped;
      const docker = this.docker;
      const timeMs = docker.timeOf(buf, view, start, end);
      if (!Number.isNaN(timeMs)) {
        this.tallies.format('docker-json');
        const seen = this.klogMessage(buf, start + DOCKER_PREFIX.length, docker.at, true, timeMs);
        if (!this.needsSlowPath) return seen;
        return this.parsedJsonLine(buf, start, end, true);
      }
    }
    return this.parsedJsonLine(buf, start, end, false);
  }

  private parsedJsonLine(buf: Buffer, start: number, end: number, formatCounted: boolean): Seen {
    if (!formatCounted && earlyAuditStage(buf, start, end)) {
      this.tallies.format('audit');
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
    if (isDockerRecord(record)) {
      const timeMs = dockerRecordTime(record);
      if (Number.isNaN(timeMs)) return Seen.Skipped;
      if (!formatCounted) this.tallies.format('docker-json');
      this.needsSlowPath = false;
      const { message, end: messageEnd } = dockerRecordMessage(record);
      return this.klogMessage(message, 0, messageEnd, false, timeMs);
    }
    if (isAuditEvent(record)) {
      this.tallies.format('audit');
      return this.auditEvent(record);
    }
    return Seen.Skipped;
  }

  private auditEvent(event: Record<string, unknown>): Seen {
    if (!isResponseComplete(event)) return Seen.Known;
    this.tallies.signal('audit');
    const request = auditRequest(event);
    if (request === null) return Seen.Skipped;
    if (request.path === null) return Seen.Known;
    const parsed = this.paths.parse(request.path);
    if (parsed === null) return Seen.Known;
    if (request.timeMs < this.sinceMs) return Seen.Known;
    this.scanned.audit.record(parsed.key, parsed.ref, request.verb, request.timeMs);
    return Seen.Counted;
  }

  private criLine(buf: Buffer, start: number, end: number): Seen {
    const cri = this.cri;
    const timeMs = cri.header(buf, this.viewFor(buf), start, end);
    if (Number.isNaN(timeMs)) return Seen.Skipped;
    const stream = cri.stream;
    const tag = cri.tag;
    const messageAt = cri.messageAt;
    this.tallies.format('cri');
    if (tag === CRI_PARTIAL) {
      const dropped = cri.keepPartial(stream, timeMs, buf, messageAt, end, this.maxLineBytes);
      // Counted (or skipped) with its final line.
      if (dropped < 0) return Seen.Known;
      this.scanned.linesSkipped += dropped;
      return Seen.Skipped;
    }
    if (tag !== CRI_FINAL) return Seen.Skipped;
    const joined = cri.joinPartial(stream, buf, messageAt, end);
    if (joined !== undefined) {
      const seen = this.criMessage(joined.message, 0, joined.message.length, joined.timeMs);
      // The partial lines share the fate of the message they belong to.
      if (seen === Seen.Skipped) this.scanned.linesSkipped += joined.lines - 1;
      return seen;
    }
    return this.criMessage(buf, messageAt, end, timeMs);
  }

  private criMessage(buf: Buffer, start: number, end: number, timeMs: number): Seen {
    if (isSeverity(buf[start])) return this.klogMessage(buf, start, end, false, timeMs);
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
    const message = klogFile(buf, view, start + 21, end);
    if (message < 0) return Seen.Skipped;
    const kind = klogFileKind.kind;
    if (kind === FILE_HTTPLOG) return this.httplogLine(buf, view, message, end, escaped, timeMs);
    // `<component>: ` then, for handler.go, `<VERB> "<path>" satisfied by ...`;
    // for pathrecorder.go, `"<path>" satisfied by ...` (no verb: it is the second line of the pair).
    // A known component's name followed by its colon is where the scan for the first colon stops
    // (the name holds no colon and is shorter than the scan's reach).
    let colon = -1;
    let channel: ChannelTally | null = null;
    const components = this.components.known;
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
    if (kind === FILE_PATHRECORDER) {
      const pathEnd = this.pathEnd(buf, view, colon + 2, end, escaped);
      if (pathEnd < 0 || !matchPattern(view, pathEnd, end, SATISFIED_BY)) return Seen.Skipped;
      this.tallies.signal('satisfied-by');
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
    this.tallies.signal('satisfied-by');
    channel ??= this.components.channelOf(buf, view, message, colon);
    const closing = pathEnd - (escaped ? 2 : 1);
    return this.countRequest(channel, buf, verb, pathStart, closing, timeMs);
  }

  /** The tally of the apiserver component named by `buf[at, end)` (for the kernel's slots). */
  channelOf(buf: Buffer, at: number, end: number): ChannelTally {
    return this.components.channelOf(buf, this.viewFor(buf), at, end);
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
    this.entry =
      pathEnd < 0
        ? null
        : this.paths.entryFor(buf, view, start, pathEnd - quote, this.pathEscapes, this.queryAt);
    return pathEnd;
  }

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
    this.tallies.signal('httplog');
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
    else channel.count(entryTally(entry, channel, parsed, timeMs), counted, timeMs);
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
    const parsed = this.paths.parseBytes(buf, pathStart, queryAt);
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

  /** A path the kernel names: its bytes `buf[start, end)`, query included (from its first `?`). */
  pathInfo(buf: Buffer, start: number, end: number): { parsed: ParsedPath | null; getVerb: number } {
    // Read as a string, not through the path bytes' table (parseBytes): each of the kernel's paths
    // comes here once, and the table's byte-by-byte comparison was most of the cost, run cold.
    const text = latin1(buf, start, end);
    const question = text.indexOf('?');
    const parsed = this.paths.parse(question < 0 ? text : text.slice(0, question));
    if (parsed === null) return { parsed, getVerb: VERB.GET };
    // latin1: one character a byte, so the query starts at start + question in `buf`.
    const watchQuery = question >= 0 && this.watchQuery(buf, start + question, end);
    return { parsed, getVerb: refineRead(VERB.GET, parsed, watchQuery) };
  }

  /** The path `buf[start, end)` with its query from `queryAt`: its parse, and what a GET to it counts as. */
  private readPathAt(
    buf: Buffer,
    start: number,
    queryAt: number,
    end: number,
  ): { parsed: ParsedPath | null; getVerb: number } {
    const parsed = this.paths.parseBytes(buf, start, queryAt);
    if (parsed === null) return { parsed, getVerb: VERB.GET };
    const watchQuery = queryAt < end && this.watchQuery(buf, queryAt, end);
    return { parsed, getVerb: refineRead(VERB.GET, parsed, watchQuery) };
  }

  private watchQuery(buf: Buffer, queryAt: number, pathEnd: number): boolean {
    return (
      indexWithin(buf, WATCH_TRUE, queryAt, pathEnd) >= 0 ||
      indexWithin(buf, WATCH_ONE, queryAt, pathEnd) >= 0
    );
  }
}
