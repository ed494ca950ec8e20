/**
 * The log scanner's hot loop, in AssemblyScript (compiled to WebAssembly by `npm run build:kernel`).
 *
 * It reads the commonest lines of apiserver logs, a Docker json-file line (RKE1) or a CRI line
 * (RKE2, kubeadm) holding a klog `handler.go` or `pathrecorder.go` "satisfied by" line, and
 * everything the TypeScript scanner would take from it: the time, the component, the verb and
 * the path. Any line it is not sure of,
 * however slightly, it hands back untouched (a `FALLBACK` event) and the TypeScript scanner reads
 * it the usual way, so the counts are the same whether a line was read here or there: this file
 * only ever accepts what the TypeScript scanner would read the same way, and the tests compare
 * the two on every kind of line.
 *
 * It also adds the requests up, per slot (a path and a component: verb counts, first and last
 * time, writes per minute), so that the caller works per path and per minute, not per line; the
 * events it sends are for what the caller must see in the order of the lines (the lines it hands
 * back, a component's first line, a slot's first request).
 *
 * Memory (one instance per scanner, laid out by init() and never grown): the input the caller
 * fills, the events, the paths seen (bytes and a hash table, cleared when full), the slots, and
 * the templates of message headers read before.
 */

// Events: four i32 each (head, pathId, a, b) and an f64 time each.
const EV_FALLBACK: i32 = 1; // lines [a, b) for the TypeScript scanner
const EV_REQUEST: i32 = 2; // head: component << 8 | verb << 16; pathId; time (components past the slots)
const EV_SATISFIED: i32 = 3; // the scan's first satisfied-by line of its format (handler.go or pathrecorder.go)
const EV_SKIPPED: i32 = 4; // the scan's first line of its format whose message is no request line
// EV_REQUEST, EV_SATISFIED and EV_SKIPPED carry the line's format in head >> 24: 0 Docker, 1 CRI.
const EV_MINUTES: i32 = 5; // slot (as pathId) wrote runs[event][0, 8) times in the minutes from `time`
const EV_NEW_COMPONENT: i32 = 6; // component (head >> 8) is new: the TypeScript scanner makes its channel here
const EV_NEW_SLOT: i32 = 7; // slot (as pathId) counts its first request (at `time`): its tally is made here
const EV_HTTPLOG: i32 = 8; // the scan's first httplog line of its format
const EV_HTTPLOG_REQUEST: i32 = 9; // as EV_REQUEST, for an httplog line

export const INPUT_BYTES: i32 = 1 << 20;
const INPUT_PAD: i32 = 64;
export const MAX_EVENTS: i32 = 1 << 14;
export const MAX_PATHS: i32 = 1 << 15;
const TABLE_SLOTS: i32 = MAX_PATHS * 2;
const ARENA_BYTES: i32 = 4 << 20;
export const MAX_COMPONENTS: i32 = 16;
/**
 * Requests are added up here, per slot: a path and one of the first SLOTS_PER_PATH components.
 * A slot holds its verb counts, first and last time, and the writes of MINUTES_PER_SLOT minutes.
 */
export const SLOTS_PER_PATH: i32 = 4;
export const SLOT_BYTES: i32 = 128;
const SLOT_FIRST: i32 = 32;
const SLOT_LAST: i32 = 40;
/** The first of the MINUTES_PER_SLOT minutes whose writes the slot holds (NaN: none yet). */
const SLOT_MINUTE_BASE: i32 = 48;
const SLOT_DIRTY: i32 = 56;
/** The path table's generation the slot was last announced in (EV_NEW_SLOT). */
const SLOT_GENERATION: i32 = 60;
const SLOT_MINUTES: i32 = 64;
export const MINUTES_PER_SLOT: i32 = 16;
const COMPONENT_BYTES: i32 = 64;
/** findPathEnd's reach in the TypeScript scanner. */
const PATH_REACH: i32 = 8192;

// Verbs as the TypeScript scanner numbers them (request-path.ts VERB).
const VERB_GET: i32 = 0;
const VERB_PUT: i32 = 3;
const VERB_PATCH: i32 = 4;
const VERB_POST: i32 = 5;
const VERB_DELETE: i32 = 6;

// Byte strings as little-endian words.
const LOG_PREFIX: u64 = 0x223a22676f6c227b; // {"log":"
const TIME_FIELD: u64 = 0x223a22656d697422; // "time":"
const SATISFIED_0: u64 = 0x6966736974617320; // " satisfi"
const SATISFIED_1: u32 = 0x62206465; // "ed b", then "y"
const HANDLER_0: u64 = 0x2e72656c646e6168; // "handler."
const PATHRECORDER_0: u64 = 0x6f63657268746170; // "pathreco"
const PATHRECORDER_1: u64 = 0x3a6f672e72656472; // "rder.go:"
const HTTPLOG_0: u64 = 0x2e676f6c70747468; // "httplog."
const WATCH_1: u64 = 0x313d6863746177; // "watch=1" (seven bytes)
const WATCH_TR: u64 = 0x72743d6863746177; // "watch=tr", then "ue"
const WATCH_ONE_QUERY: u64 = 0x313d68637461773f; // "?watch=1"
/**
 * The name httplog lines are counted under, as a component of their own ("httplog:", see
 * HTTPLOG_COMPONENT in line-kernel.ts): it holds a colon, which no component's name does.
 */
const HTTPLOG_NAME: u64 = 0x3a676f6c70747468;
const WORD_HTTP: u32 = 0x50545448; // "HTTP"
const WORD_VERB: u32 = 0x72657620; // " ver", then "b="
const WORD_URI: u32 = 0x49525520; // " URI", then "="
const WORD_RESP: u32 = 0x70736572; // "resp", after a space, then "="
const RESP_FIELD: u64 = 0x3d7073657220; // " resp=" (six bytes)
const GO_COLON: u32 = 0x3a6f67; // "go:" (three bytes)
const ESCAPED_QUOTE: u16 = 0x225c; // \"
const WORD_GET: u32 = 0x20544547; // "GET "
const WORD_PUT: u32 = 0x20545550; // "PUT "
const WORD_POST: u32 = 0x54534f50; // "POST"
const WORD_PATC: u32 = 0x43544150; // "PATC"
const WORD_DELE: u32 = 0x454c4544; // "DELE"
const WORD_STDE: u32 = 0x65647473; // "stde"
const WORD_STDO: u32 = 0x6f647473; // "stdo"

const NL: u8 = 0x0a;
const SPACE: u8 = 0x20;
const QUOTE: u8 = 0x22;
const BACKSLASH: u8 = 0x5c;

let input: usize = 0;
let heads: usize = 0;
let times: usize = 0;
let arena: usize = 0;
let table: usize = 0;
let pathOffset: usize = 0;
let pathLength: usize = 0;
/** Where a path with a query is written as it is interned (canonicalPath). */
let canonical: usize = 0;
let componentNames: usize = 0;
let componentLengths: usize = 0;
let status: usize = 0;
let templates: usize = 0;
/** Per template, 0xff at each byte it compares: its bytes but for the time's digits. */
let templateMasks: usize = 0;
let templateInfo: usize = 0;
let slots: usize = 0;
let runs: usize = 0;
let dirtySlots: usize = 0;
let dirtyCount: i32 = 0;
let sinceMs: f64 = -Infinity;
/** The path table is full: the caller adds the slots up and clears it (clearPaths) to go on. */
let pathsFull: bool = false;
/** Counts the path table's clears from 1: a slot of an older generation is new again. */
let generation: i32 = 1;

let maxLineBytes: i32 = 65536;
let events: i32 = 0;
let fallbackOpen: bool = false;
let pathCount: i32 = 0;
let arenaUsed: i32 = 0;
let componentCount: i32 = 0;
let foundComponent: i32 = -1;
/** Where the last scan stopped (all lines before it have their events). */
let stoppedAt: i32 = 0;
/**
 * Lines of a scan counted here and not sent as events: pathrecorder lines after the first, and
 * Docker lines that hold no request line after the first. The first of each kind in a scan is
 * an event, so that the caller meets every format and signal where it first comes.
 */
let knownDocker: i32 = 0;
let skippedDocker: i32 = 0;
let knownCri: i32 = 0;
let skippedCri: i32 = 0;
/** httplog lines counted without an event: after the scan's first of their format. */
let httplogDocker: i32 = 0;
let httplogCri: i32 = 0;
let satisfiedSeen: bool = false;
let httplogDockerSeen: bool = false;
let httplogCriSeen: bool = false;
/** The component httplog lines are counted under; -1 until the first one. */
let httplogComponent: i32 = -1;
let dockerSeen: bool = false;
let criSeen: bool = false;
/** The format of the line being read: 0 Docker json-file, 1 CRI. */
let lineFormat: i32 = 0;
/**
 * A CRI partial (P) line may be waiting for its final (F) line, per stream: such an F line is the
 * TypeScript scanner's to join. Set by the caller before a scan (status words 7 and 8), and here by
 * every CRI line handed back before its tag was read (it might be a P line); an F line of the
 * stream is then handed back too, and clears it.
 */
let partialStdout: bool = false;
let partialStderr: bool = false;

// The last path read, for the lines of one request, which name the same path.
let lastPathId: i32 = -1;
let lastPathLength: i32 = 0;
// The last stamp's first 19 bytes (yyyy-mm-ddThh:mm:ss) and their ms: at first, 1970-01-01T00:00:00.
let stamp0: u64 = 0x2d31302d30373931;
let stamp1: u64 = 0x30303a3030543130;
let stamp2: u32 = 0x30303a30;
let stampMs: f64 = 0;

function align(n: usize): usize {
  return (n + 15) & ~15;
}

/** Lays out memory; call once. */
export function init(maxLine: i32, since: f64): void {
  maxLineBytes = maxLine;
  sinceMs = since;
  let p = align(__heap_base);
  status = p;
  p = align(p + 64);
  input = p;
  p = align(p + INPUT_BYTES + INPUT_PAD);
  heads = p;
  p = align(p + <usize>MAX_EVENTS * 16);
  times = p;
  p = align(p + <usize>MAX_EVENTS * 8);
  runs = p;
  p = align(p + <usize>MAX_EVENTS * MINUTES_PER_SLOT * 4);
  table = p;
  p = align(p + <usize>TABLE_SLOTS * 4);
  pathOffset = p;
  p = align(p + <usize>MAX_PATHS * 4);
  pathLength = p;
  p = align(p + <usize>MAX_PATHS * 4);
  canonical = p;
  p = align(p + <usize>PATH_REACH + 16);
  componentNames = p;
  p = align(p + <usize>MAX_COMPONENTS * COMPONENT_BYTES);
  componentLengths = p;
  p = align(p + <usize>MAX_COMPONENTS * 4);
  templates = p;
  p = align(p + <usize>MAX_TEMPLATES * TEMPLATE_BYTES);
  templateMasks = p;
  p = align(p + <usize>MAX_TEMPLATES * TEMPLATE_BYTES);
  templateInfo = p;
  p = align(p + <usize>MAX_TEMPLATES * TEMPLATE_INFO_BYTES);
  arena = p;
  p = align(p + <usize>ARENA_BYTES + INPUT_PAD);
  slots = p;
  p = align(p + <usize>MAX_PATHS * SLOTS_PER_PATH * SLOT_BYTES);
  dirtySlots = p;
  p = align(p + <usize>MAX_PATHS * SLOTS_PER_PATH * 4);
  const pages = <i32>((p + 0xffff) >> 16) - memory.size();
  if (pages > 0) memory.grow(pages);
  memory.fill(table, 0, <usize>TABLE_SLOTS * 4);
  writeStatus();
}

export function inputAt(): usize {
  return input;
}
export function headsAt(): usize {
  return heads;
}
export function timesAt(): usize {
  return times;
}
/**
 * What a scan leaves besides its events, as i32 words the caller reads from memory (a call per
 * figure would cost more than many a scan): where it stopped, the lines it counted without an
 * event, whether the path table is full, and how many slots it has counted in.
 */
export function statusAt(): usize {
  return status;
}
function writeStatus(): void {
  store<i32>(status, stoppedAt);
  store<i32>(status, knownDocker, 4);
  store<i32>(status, skippedDocker, 8);
  store<i32>(status, pathsFull ? 1 : 0, 12);
  store<i32>(status, dirtyCount, 16);
  store<i32>(status, knownCri, 20);
  store<i32>(status, skippedCri, 24);
  store<i32>(status, httplogDocker, 36);
  store<i32>(status, httplogCri, 40);
}
export function arenaAt(): usize {
  return arena;
}
export function pathOffsetsAt(): usize {
  return pathOffset;
}
export function pathLengthsAt(): usize {
  return pathLength;
}
export function componentNamesAt(): usize {
  return componentNames;
}
export function componentLengthsAt(): usize {
  return componentLengths;
}
export function runsAt(): usize {
  return runs;
}
export function slotsAt(): usize {
  return slots;
}
export function dirtySlotsAt(): usize {
  return dirtySlots;
}

/** After the caller has added up the dirty slots: they are clean again. */
export function slotsTaken(): void {
  for (let i = 0; i < dirtyCount; i++) {
    store<i32>(slots + <usize>load<i32>(dirtySlots + (<usize>i << 2)) * SLOT_BYTES, 0, SLOT_DIRTY);
  }
  dirtyCount = 0;
  writeStatus();
}

/**
 * Forgets every path, once the caller has taken the slots: memory stays bounded however many
 * distinct paths (queries) a log holds, and path ids are given out again from 0.
 */
export function clearPaths(): void {
  memory.fill(table, 0, <usize>TABLE_SLOTS * 4);
  pathCount = 0;
  arenaUsed = 0;
  lastPathId = -1;
  pathsFull = false;
  generation++;
  writeStatus();
}

@inline function emit(head: i32, pathId: i32, a: i32, b: i32, time: f64): void {
  const at = heads + (<usize>events << 4);
  store<i32>(at, head);
  store<i32>(at, pathId, 4);
  store<i32>(at, a, 8);
  store<i32>(at, b, 12);
  store<f64>(times + (<usize>events << 3), time);
  events++;
  fallbackOpen = false;
}

/** The line [start, next) to the TypeScript scanner, joined to the event before when that is one too. */
@inline function fallback(start: i32, next: i32): void {
  if (fallbackOpen) {
    store<i32>(heads + (<usize>(events - 1) << 4), next, 12);
    return;
  }
  emit(EV_FALLBACK, 0, start, next, 0);
  fallbackOpen = true;
}

/** Index of the first newline at or after p (one is known to come before the scan's end). */
@inline function newlineFrom(p: usize): usize {
  // 64 bytes a step (the input is padded past its end): one branch for four blocks.
  const nl = i8x16.splat(NL);
  for (;;) {
    const a = i8x16.eq(v128.load(p), nl);
    const b = i8x16.eq(v128.load(p, 16), nl);
    const c = i8x16.eq(v128.load(p, 32), nl);
    const d = i8x16.eq(v128.load(p, 48), nl);
    if (v128.any_true(v128.or(v128.or(a, b), v128.or(c, d)))) {
      const low = <u64>(<u32>(i8x16.bitmask(a) | (i8x16.bitmask(b) << 16)));
      const high = <u64>(<u32>(i8x16.bitmask(c) | (i8x16.bitmask(d) << 16)));
      return p + <usize>ctz(low | (high << 32));
    }
    p += 64;
  }
  return p;
}

/**
 * Scans input[from, to): whole lines, `to` just past a newline. Returns the number of events; a
 * scan that fills the events stops at a line start, given by the status (STATUS_STOPPED).
 */
export function scan(from: i32, to: i32): i32 {
  events = 0;
  fallbackOpen = false;
  knownDocker = 0;
  skippedDocker = 0;
  knownCri = 0;
  skippedCri = 0;
  httplogDocker = 0;
  httplogCri = 0;
  satisfiedSeen = false;
  httplogDockerSeen = false;
  httplogCriSeen = false;
  dockerSeen = false;
  criSeen = false;
  partialStdout = load<i32>(status, 28) != 0;
  partialStderr = load<i32>(status, 32) != 0;
  let p = input + <usize>from;
  const end = input + <usize>to;
  while (p < end) {
    if (events >= MAX_EVENTS - 8 || pathsFull) break;
    const nl = newlineFrom(p);
    const next = <i32>(nl + 1 - input);
    const start = <i32>(p - input);
    if (!line(p, nl)) fallback(start, next);
    p = nl + 1;
  }
  stoppedAt = <i32>(p - input);
  writeStatus();
  return events;
}

/** Reads one line [s, e) (newline excluded); false hands it to the TypeScript scanner. */
@inline function line(s: usize, e: usize): bool {
  const length = <i32>(e - s);
  if (isDigit(load<u8>(s))) {
    lineFormat = 1;
    if (criLine(s, e, length)) return true;
    return false;
  }
  lineFormat = 0;
  if (length > maxLineBytes || length < 64) return false;
  if (load<u64>(s) != LOG_PREFIX) return false;
  if (load<u8>(e - 1) != 0x7d || load<u8>(e - 2) != QUOTE) return false;
  // The time is the last field: `"time":"<stamp>"}`; the stamp holds no quote.
  let time = sameSecondStamp(e - 2);
  let timeAt = stampAt - 8;
  if (isNaN(time)) {
    const q = lastQuoteBefore(e - 2);
    timeAt = q - 7;
    if (timeAt <= s + 8 || load<u64>(timeAt) != TIME_FIELD) return false;
    time = parseStamp(q + 1, e - 2);
    if (isNaN(time)) return false;
  }
  return klogMessage(s + 8, timeAt, time, true);
}

/** Set once criLine has read a CRI line's tag: a line handed back before it might be a P line. */
let tagRead: bool = false;

/** A CRI line `<RFC3339Nano> stdout|stderr F <message>` [s, e); false hands it back. */
function criLine(s: usize, e: usize, length: i32): bool {
  tagRead = false;
  const read = criLineRead(s, e, length);
  if (!read && !tagRead) {
    partialStdout = true;
    partialStderr = true;
  }
  return read;
}

function criLineRead(s: usize, e: usize, length: i32): bool {
  if (length > maxLineBytes || length < 64 || load<u8>(e - 1) == 0x0d) return false;
  // The stamp runs to the first space, within 40 bytes.
  const spaces = i8x16.splat(SPACE);
  const mask =
    i8x16.bitmask(i8x16.eq(v128.load(s), spaces)) |
    (i8x16.bitmask(i8x16.eq(v128.load(s, 16), spaces)) << 16) |
    (<i64>i8x16.bitmask(i8x16.eq(v128.load(s, 32), spaces)) << 32);
  if (mask == 0) return false;
  const space = s + <usize>ctz(mask);
  if (space > s + 40 || space + 10 > e) return false;
  const time = parseStamp(s, space);
  if (isNaN(time)) return false;
  const stream = space + 1;
  if (load<u8>(stream, 6) != SPACE || load<u8>(stream, 8) != SPACE) return false;
  const word = load<u32>(stream);
  const tail = load<u16>(stream, 4);
  let stderr: bool;
  if (word == WORD_STDE && tail == 0x7272 /* "rr" */) stderr = true;
  else if (word == WORD_STDO && tail == 0x7475 /* "ut" */) stderr = false;
  else return false;
  const tag = load<u8>(stream, 7);
  tagRead = true;
  if (tag == 0x50 /* P */) {
    if (stderr) partialStderr = true;
    else partialStdout = true;
    return false;
  }
  if (tag != 0x46 /* F */) return false;
  if (stderr ? partialStderr : partialStdout) {
    if (stderr) partialStderr = false;
    else partialStdout = false;
    return false;
  }
  const m = stream + 9;
  const c = load<u8>(m);
  if (c != 0x49 && c != 0x57 && c != 0x45 && c != 0x46) return skipped(time);
  return klogMessage(m, e, time, false);
}

/** The last quote in the 48 bytes before `at` (the line is longer), or `at - 48`. */
@inline function lastQuoteBefore(at: usize): usize {
  const quotes = i8x16.splat(QUOTE);
  for (let block = at - 16; block >= at - 48; block -= 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(block), quotes));
    if (mask != 0) return block + <usize>(31 - clz(mask));
  }
  return at - 48;
}

/** `yyyy-mm-ddThh:mm:ss[.digits]Z` in [at, end) exactly, as ms since the epoch; NaN otherwise. */
function parseStamp(at: usize, end: usize): f64 {
  if (end - at < 20 || load<u8>(end - 1) != 0x5a) return NaN;
  let secondMs: f64;
  const w0 = load<u64>(at);
  const w1 = load<u64>(at, 8);
  const w2 = load<u32>(at, 15);
  if (w0 == stamp0 && w1 == stamp1 && w2 == stamp2) {
    secondMs = stampMs;
  } else {
    if (load<u8>(at, 4) != 0x2d || load<u8>(at, 7) != 0x2d) return NaN;
    const sep = load<u8>(at, 10);
    if (sep != 0x54 && sep != 0x74 && sep != 0x20) return NaN;
    if (load<u8>(at, 13) != 0x3a || load<u8>(at, 16) != 0x3a) return NaN;
    const year = digits(at, 4);
    const month = digits(at + 5, 2);
    const day = digits(at + 8, 2);
    const h = digits(at + 11, 2);
    const m = digits(at + 14, 2);
    const sec = digits(at + 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return NaN;
    if (h < 0 || h >= 24 || m < 0 || m >= 60 || sec < 0 || sec >= 61) return NaN;
    secondMs = <f64>daysFromCivil(year, month, day) * 86400000.0 + <f64>(((h * 60 + m) * 60 + sec) * 1000);
    stamp0 = w0;
    stamp1 = w1;
    stamp2 = w2;
    stampMs = secondMs;
  }
  // An optional fraction, read to whole milliseconds, then the Z at end - 1.
  const dot = at + 19;
  const zone = end - 1;
  if (dot == zone) return secondMs;
  if (load<u8>(dot) != 0x2e) return NaN;
  const n = <i32>(zone - dot - 1);
  if (n > 16) return NaN;
  const digitBits = digitMask(dot + 1);
  const wanted = (1 << n) - 1;
  if ((digitBits & wanted) != wanted) return NaN;
  let ms: i32 = 0;
  if (n > 0) ms += (<i32>load<u8>(dot, 1) - 0x30) * 100;
  if (n > 1) ms += (<i32>load<u8>(dot, 2) - 0x30) * 10;
  if (n > 2) ms += <i32>load<u8>(dot, 3) - 0x30;
  return secondMs + <f64>ms;
}

/** Where sameSecondStamp found the stamp. */
let stampAt: usize = 0;

/**
 * The Docker stamp ending at `end` (its closing quote), `"time":"<stamp>`, read as parseStamp
 * reads it, when its first 19 bytes are the last stamp's and it has 3 to 9 fraction digits (a line
 * of the same second as the one before: most lines); NaN otherwise. Such a stamp holds no quote.
 */
@inline function sameSecondStamp(end: usize): f64 {
  // The fraction's digits: the run before the Z.
  const digits = i8x16.bitmask(i8x16.lt_u(i8x16.sub(v128.load(end - 17), i8x16.splat(0x30)), i8x16.splat(10)));
  const n = <usize>clz(~(digits << 16));
  if (n - 3 > 6) return NaN;
  const dot = end - 2 - n;
  const at = dot - 19;
  stampAt = at;
  const differ =
    (load<u64>(at) ^ stamp0) |
    (load<u64>(at, 8) ^ stamp1) |
    <u64>(load<u32>(at, 15) ^ stamp2) |
    (load<u64>(at - 8) ^ TIME_FIELD) |
    <u64>((load<u8>(dot) ^ 0x2e) | (load<u8>(end - 1) ^ 0x5a));
  if (differ != 0) return NaN;
  const ms = (<i32>load<u8>(dot, 1) - 0x30) * 100 + (<i32>load<u8>(dot, 2) - 0x30) * 10 + <i32>load<u8>(dot, 3) - 0x30;
  return stampMs + <f64>ms;
}

/** Bit i set when the byte at `at + i` is a decimal digit (i < 16). */
@inline function digitMask(at: usize): i32 {
  return i8x16.bitmask(i8x16.lt_u(i8x16.sub(v128.load(at), i8x16.splat(0x30)), i8x16.splat(10)));
}

/** `count` decimal digits at `at`; -1 when one is not a digit. */
function digits(at: usize, count: i32): i32 {
  let value: i32 = 0;
  for (let i = 0; i < count; i++) {
    const d = <i32>load<u8>(at + <usize>i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return q * b > a ? q - 1 : q;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: i32, month: i32, day: i32): i32 {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = (153 * mp + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The klog line inside the Docker string, [m, end) (its quotes escaped). Returns false for
 * anything the TypeScript scanner might read otherwise.
 */
@inline function klogMessage(m: usize, end: usize, time: f64, escaped: bool): bool {
  if (end - m < 64) return false;
  let colon: usize;
  let handler: bool;
  let message: usize;
  const template = matchTemplate(m, end);
  if (template >= 0) {
    if (templateKind(template) == KIND_HTTPLOG) {
      return httplogMessage(m + <usize>templateLength(template), end, time, escaped);
    }
    colon = m + <usize>templateLength(template) - 2;
    handler = templateKind(template) == KIND_HANDLER;
    foundComponent = templateComponent(template);
    message = 0; // the component is known: componentOf does not read it
  } else {
    // Severity, mmdd, space, hh:mm:ss.uuuuuu, then spaces, the thread id, a space, file:line] .
    if (load<u8>(m, 5) != SPACE || load<u8>(m, 8) != 0x3a) return skipped(time);
    // The thread id: spaces, digits, a space, all within 16 bytes (end is 43 bytes further on).
    const threadAt = m + 21;
    const block = v128.load(threadAt);
    const spaces = i8x16.bitmask(i8x16.eq(block, i8x16.splat(SPACE)));
    const digitBits = i8x16.bitmask(i8x16.lt_u(i8x16.sub(block, i8x16.splat(0x30)), i8x16.splat(10)));
    const idAt = ctz(~spaces);
    if (idAt >= 16) return false;
    if (((digitBits >> idAt) & 1) == 0) return skipped(time);
    const idEnd = idAt + ctz(~(digitBits >> idAt));
    if (idEnd >= 16) return false;
    if (((spaces >> idEnd) & 1) == 0) return skipped(time);
    const file = threadAt + <usize>idEnd + 1;
    let p: usize;
    if (file + 16 > end) return false;
    const word = load<u64>(file);
    if (word == HANDLER_0 && (load<u32>(file, 8) & 0xffffff) == GO_COLON) {
      handler = true;
      p = file + 11;
    } else if (word == PATHRECORDER_0 && load<u64>(file, 8) == PATHRECORDER_1) {
      handler = false;
      p = file + 16;
    } else if (word == HTTPLOG_0) {
      if ((load<u32>(file, 8) & 0xffffff) != GO_COLON) return false;
      let q = file + 11;
      while (q < end && isDigit(load<u8>(q))) q++;
      if (q + 1 >= end || load<u8>(q) != 0x5d || load<u8>(q, 1) != SPACE) return false;
      addTemplate(m, <i32>(q + 2 - m), KIND_HTTPLOG, -1);
      return httplogMessage(q + 2, end, time, escaped);
    } else {
      return skipped(time);
    }
    while (p < end && isDigit(load<u8>(p))) p++;
    if (p + 1 >= end || load<u8>(p) != 0x5d || load<u8>(p, 1) != SPACE) return false;
    message = p + 2;
    // `<component>: ` then, for handler.go, `<VERB> \"<path>\" satisfied by ...`.
    colon = colonFrom(message, min(end, message + 64));
    if (colon == 0 || colon == message || colon + 1 >= end || load<u8>(colon, 1) != SPACE) return false;
    if (!handler) {
      if (readPath(colon + 2, end, false, escaped) < 0) return false;
      // A component first seen on a pathrecorder line is not interned: no template for it yet.
      if (foundComponent >= 0) addTemplate(m, <i32>(colon + 2 - m), KIND_PATHRECORDER, foundComponent);
      satisfied(time);
      return true;
    }
  }
  if (!handler) {
    if (readPath(colon + 2, end, false, escaped) < 0) return false;
    satisfied(time);
    return true;
  }
  const verbAt = colon + 2;
  if (verbAt + 8 > end) return false;
  const verbWord = load<u32>(verbAt);
  let verb: i32;
  let verbEnd: usize;
  if (verbWord == WORD_GET) {
    verb = VERB_GET;
    verbEnd = verbAt + 3;
  } else if (verbWord == WORD_PUT) {
    verb = VERB_PUT;
    verbEnd = verbAt + 3;
  } else if (verbWord == WORD_POST && load<u8>(verbAt, 4) == SPACE) {
    verb = VERB_POST;
    verbEnd = verbAt + 4;
  } else if (verbWord == WORD_PATC && load<u16>(verbAt, 4) == 0x2048 /* "H " */) {
    verb = VERB_PATCH;
    verbEnd = verbAt + 5;
  } else if (verbWord == WORD_DELE && (load<u32>(verbAt, 4) & 0xffffff) == 0x204554 /* "TE " */) {
    verb = VERB_DELETE;
    verbEnd = verbAt + 6;
  } else {
    return false;
  }
  const pathId = readPath(verbEnd + 1, end, true, escaped);
  if (pathId < 0) return false;
  const component = componentOf(message, colon);
  if (component < 0) return false;
  if (message != 0) addTemplate(m, <i32>(colon + 2 - m), KIND_HANDLER, component);
  if (component >= SLOTS_PER_PATH) {
    emit(EV_REQUEST | (component << 8) | (verb << 16) | (lineFormat << 24), pathId, 0, 0, time);
    satisfiedSeen = true;
    if (lineFormat == 0) dockerSeen = true;
    else criSeen = true;
    return true;
  }
  satisfied(time);
  // The TypeScript scanner counts no request before --since (the line is still read).
  if (time >= sinceMs) count(pathId * SLOTS_PER_PATH + component, verb, time);
  return true;
}

/** A satisfied-by line read: an event when it is the scan's first, else a count. */
@inline function satisfied(time: f64): void {
  if (satisfiedSeen && (lineFormat == 0 ? dockerSeen : criSeen)) {
    if (lineFormat == 0) knownDocker++;
    else knownCri++;
    fallbackOpen = false;
  } else {
    emit(EV_SATISFIED | (lineFormat << 24), 0, 0, 0, time);
    satisfiedSeen = true;
    if (lineFormat == 0) dockerSeen = true;
    else criSeen = true;
  }
}

/**
 * An httplog line's message from `m`: `"HTTP" verb="PUT" URI="<path>" ... resp=200` (quotes
 * escaped in a Docker line), read as the TypeScript scanner reads it (line-reader.ts httplogLine).
 */
@inline function httplogMessage(m: usize, end: usize, time: f64, escaped: bool): bool {
  const q: usize = escaped ? 2 : 1;
  if (m + 32 > end || !quoteAt(m, escaped) || load<u32>(m + q) != WORD_HTTP) return false;
  let p = m + q + 4;
  if (!quoteAt(p, escaped)) return false;
  p += q;
  if (load<u32>(p) != WORD_VERB || load<u16>(p, 4) != 0x3d62 /* "b=" */ || !quoteAt(p + 6, escaped)) return false;
  const verbAt = p + 6 + q;
  const verbWord = load<u32>(verbAt);
  let verb: i32;
  let verbEnd: usize;
  if ((verbWord & 0xffffff) == 0x544547 /* GET */) {
    verb = VERB_GET;
    verbEnd = verbAt + 3;
  } else if ((verbWord & 0xffffff) == 0x545550 /* PUT */) {
    verb = VERB_PUT;
    verbEnd = verbAt + 3;
  } else if (verbWord == WORD_POST) {
    verb = VERB_POST;
    verbEnd = verbAt + 4;
  } else if (verbWord == WORD_PATC && load<u8>(verbAt, 4) == 0x48 /* H */) {
    verb = VERB_PATCH;
    verbEnd = verbAt + 5;
  } else if (verbWord == WORD_DELE && load<u16>(verbAt, 4) == 0x4554 /* TE */) {
    verb = VERB_DELETE;
    verbEnd = verbAt + 6;
  } else {
    return false;
  }
  if (!quoteAt(verbEnd, escaped)) return false;
  p = verbEnd + q;
  if (p + 8 > end || load<u32>(p) != WORD_URI || load<u8>(p, 4) != 0x3d /* = */) return false;
  const pathId = readPath(p + 5, end, true, escaped, true);
  if (pathId < 0) return false;
  const component = httplogComponentOf();
  if (component < 0) return false;
  if (component >= SLOTS_PER_PATH) {
    emit(EV_HTTPLOG_REQUEST | (component << 8) | (verb << 16) | (lineFormat << 24), pathId, 0, 0, time);
    if (lineFormat == 0) {
      httplogDockerSeen = true;
      dockerSeen = true;
    } else {
      httplogCriSeen = true;
      criSeen = true;
    }
    return true;
  }
  if (lineFormat == 0 ? httplogDockerSeen && dockerSeen : httplogCriSeen && criSeen) {
    if (lineFormat == 0) httplogDocker++;
    else httplogCri++;
    fallbackOpen = false;
  } else {
    emit(EV_HTTPLOG | (lineFormat << 24), 0, 0, 0, time);
    if (lineFormat == 0) {
      httplogDockerSeen = true;
      dockerSeen = true;
    } else {
      httplogCriSeen = true;
      criSeen = true;
    }
  }
  if (time >= sinceMs) count(pathId * SLOTS_PER_PATH + component, verb, time);
  return true;
}

@inline function quoteAt(at: usize, escaped: bool): bool {
  return escaped ? load<u16>(at) == ESCAPED_QUOTE : load<u8>(at) == QUOTE;
}

/**
 * Whether ` resp=` lies within [from, end) (it ends an httplog line: looked for from the end, a
 * block at a time, at each `r`).
 */
function respWithin(from: usize, end: usize): bool {
  if (end < from + 6) return false;
  // First where it is when a three-digit status ends the message: in a Docker line (then
  // `\n","stream":"stderr",` up to the time), in a CRI line.
  if (respAt(end - 31, from, end) || respAt(end - 9, from, end)) return true;
  const r = i8x16.splat(0x72);
  for (let block = end - 16; ; block -= 16) {
    let mask = i8x16.bitmask(i8x16.eq(v128.load(block), r));
    while (mask != 0) {
      const bit = 31 - clz(mask);
      mask ^= 1 << bit;
      const p = block + <usize>bit - 1;
      if (p >= from && p + 6 <= end && load<u8>(p) == SPACE && load<u32>(p, 1) == WORD_RESP && load<u8>(p, 5) == 0x3d) {
        return true;
      }
    }
    if (block <= from) return false;
  }
  return false;
}

@inline function respAt(p: usize, from: usize, end: usize): bool {
  return p >= from && p + 6 <= end && (load<u64>(p) & 0xffffffffffff) == RESP_FIELD;
}

/** The component httplog lines are counted under, made (and announced) at the first; -1 past the table. */
function httplogComponentOf(): i32 {
  if (httplogComponent >= 0) return httplogComponent;
  if (componentCount >= MAX_COMPONENTS) return -1;
  const id = componentCount++;
  store<u64>(componentNames + <usize>(id * COMPONENT_BYTES), HTTPLOG_NAME);
  store<i32>(componentLengths + (<usize>id << 2), 8);
  emit(EV_NEW_COMPONENT | (id << 8), 0, 0, 0, 0);
  httplogComponent = id;
  return id;
}

/** One request in a slot. */
@inline function count(slot: i32, verb: i32, time: f64): void {
  const at = slots + <usize>slot * SLOT_BYTES;
  if (load<i32>(at, SLOT_GENERATION) != generation) {
    // In the order of the lines, as the TypeScript scanner makes an object's tally at its first request.
    store<i32>(at, generation, SLOT_GENERATION);
    emit(EV_NEW_SLOT, slot, 0, 0, time);
  }
  if (load<i32>(at, SLOT_DIRTY) == 0) {
    store<i32>(at, 1, SLOT_DIRTY);
    store<i32>(dirtySlots + (<usize>dirtyCount << 2), slot);
    dirtyCount++;
    v128.store(at, i64x2.splat(0));
    v128.store(at, i64x2.splat(0), 16);
    store<f64>(at, time, SLOT_FIRST);
    store<f64>(at, time, SLOT_LAST);
    store<f64>(at, NaN, SLOT_MINUTE_BASE);
  }
  const verbAt = at + (<usize>verb << 2);
  store<u32>(verbAt, load<u32>(verbAt) + 1);
  if (time < load<f64>(at, SLOT_FIRST)) store<f64>(at, time, SLOT_FIRST);
  if (time > load<f64>(at, SLOT_LAST)) store<f64>(at, time, SLOT_LAST);
  if (verb >= VERB_PUT) {
    // A write, counted in its minute: the slot holds a few minutes, and hands them over (an
    // EV_MINUTES event) when a write falls outside them.
    const minute = Math.floor(time / 60000);
    const base = load<f64>(at, SLOT_MINUTE_BASE);
    const index = minute - base;
    if (index >= 0 && index < <f64>MINUTES_PER_SLOT) {
      const counter = at + SLOT_MINUTES + (<usize>(<i32>index) << 2);
      store<u32>(counter, load<u32>(counter) + 1);
    } else {
      if (base == base) {
        const run = runs + (<usize>events << 6);
        v128.store(run, v128.load(at, SLOT_MINUTES));
        v128.store(run, v128.load(at, SLOT_MINUTES + 16), 16);
        v128.store(run, v128.load(at, SLOT_MINUTES + 32), 32);
        v128.store(run, v128.load(at, SLOT_MINUTES + 48), 48);
        emit(EV_MINUTES, slot, 0, 0, base);
      }
      store<f64>(at, minute, SLOT_MINUTE_BASE);
      v128.store(at, i64x2.splat(0), SLOT_MINUTES);
      v128.store(at, i64x2.splat(0), SLOT_MINUTES + 16);
      v128.store(at, i64x2.splat(0), SLOT_MINUTES + 32);
      v128.store(at, i64x2.splat(0), SLOT_MINUTES + 48);
      store<u32>(at, 1, SLOT_MINUTES);
    }
  }
}

/**
 * The first colon in [at, limit), or 0 when there is none. Tried first where each known
 * component's name would end (a name holds no colon, so when its bytes are there, the colon after
 * them is the first); foundComponent is then that component, else -1.
 */
function colonFrom(at: usize, limit: usize): usize {
  for (let i = 0; i < componentCount; i++) {
    if (i == httplogComponent) continue;
    const length = load<i32>(componentLengths + (<usize>i << 2));
    const colon = at + <usize>length;
    if (
      colon < limit &&
      load<u8>(colon) == 0x3a &&
      sameBytes(at, componentNames + <usize>(i * COMPONENT_BYTES), length)
    ) {
      foundComponent = i;
      return colon;
    }
  }
  foundComponent = -1;
  const colons = i8x16.splat(0x3a);
  for (let p = at; p < limit; p += 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p), colons));
    if (mask != 0) {
      const colon = p + <usize>ctz(mask);
      return colon < limit ? colon : 0;
    }
  }
  return 0;
}

/** Whether [a, a + n) and [b, b + n) hold the same bytes (both may be read 16 bytes past n). */
@inline function sameBytes(a: usize, b: usize, n: i32): bool {
  if (n < 16) {
    const differ = i8x16.bitmask(v128.not(i8x16.eq(v128.load(a), v128.load(b))));
    return (differ & ((1 << n) - 1)) == 0;
  }
  // The last 16 bytes, and the blocks before them from the start, 32 bytes a step; one test.
  const last = <usize>(n - 16);
  let differ = v128.xor(v128.load(a + last), v128.load(b + last));
  let i: usize = 0;
  for (; i + 16 < last; i += 32) {
    differ = v128.or(differ, v128.or(v128.xor(v128.load(a + i), v128.load(b + i)), v128.xor(v128.load(a + i, 16), v128.load(b + i, 16))));
  }
  if (i < last) differ = v128.or(differ, v128.xor(v128.load(a + i), v128.load(b + i)));
  return !v128.any_true(differ);
}

/**
 * Templates: the first bytes of klog messages read before, from the severity to the `: ` after
 * the component (a handler.go or pathrecorder.go line), with what they were read as. A message
 * whose bytes are a template's, but for the time's digits, is read as that template was: the
 * header, thread id, file, line and component checks in one comparison. A log has a few such
 * shapes (each component's handler and pathrecorder lines), in turn.
 */
const MAX_TEMPLATES: i32 = 16;
const TEMPLATE_BYTES: i32 = 112;
let templateCount: i32 = 0;
/** The template tried first on the next message (-1: none). */
let nextTemplate: i32 = -1;
/** The template matched last; -1 after a message that matched none. */
let lastTemplate: i32 = -1;
const KIND_PATHRECORDER: i32 = 0;
const KIND_HANDLER: i32 = 1;
/** An httplog.go line's header, to the message: no component. */
const KIND_HTTPLOG: i32 = 2;
/**
 * Per template, i32 at templateInfo + TEMPLATE_INFO_BYTES * t: its length, kind and component,
 * and the templates the message after its match matched, the last time (the guess for the next
 * message) and the time before that one (-1: none).
 */
const TEMPLATE_INFO_BYTES: i32 = 32;
const INFO_KIND: i32 = 4;
const INFO_COMPONENT: i32 = 8;
const INFO_FOLLOW: i32 = 12;
const INFO_FOLLOW_BEFORE: i32 = 16;
@inline function templateInfoAt(t: i32): usize {
  return templateInfo + <usize>(t * TEMPLATE_INFO_BYTES);
}
@inline function templateLength(t: i32): i32 {
  return load<i32>(templateInfoAt(t));
}
@inline function templateKind(t: i32): i32 {
  return load<i32>(templateInfoAt(t), INFO_KIND);
}
@inline function templateComponent(t: i32): i32 {
  return load<i32>(templateInfoAt(t), INFO_COMPONENT);
}

/**
 * The template the message at `m` matches (its bytes before `end`), or -1. Tried first: the one
 * that followed the template matched last, the last time it did (the lines of a request come
 * in the same order of shapes: a component's handler line, its pathrecorder line, the next
 * component's ...), then the one that followed it the time before (where requests of two shapes
 * part: a gorestful handler line or not), then the others.
 */
@inline function matchTemplate(m: usize, end: usize): i32 {
  const guess = nextTemplate;
  if (guess >= 0 && holdsTemplate(m, end, guess)) {
    lastTemplate = guess;
    nextTemplate = load<i32>(templateInfoAt(guess), INFO_FOLLOW);
    return guess;
  }
  const other = lastTemplate >= 0 ? load<i32>(templateInfoAt(lastTemplate), INFO_FOLLOW_BEFORE) : -1;
  if (other >= 0 && other != guess && holdsTemplate(m, end, other)) {
    matched(other);
    return other;
  }
  for (let t = 0; t < templateCount; t++) {
    if (t != guess && t != other && holdsTemplate(m, end, t)) {
      matched(t);
      return t;
    }
  }
  lastTemplate = -1;
  return -1;
}

@inline function holdsTemplate(m: usize, end: usize, t: i32): bool {
  const length = templateLength(t);
  return m + <usize>length + 16 <= end && sameTemplate(m, t, length);
}

/**
 * Template `t` matched where another was guessed (or was just made): it is the guess after the
 * template matched before, and what followed it the last time is the guess after `t`.
 * (Where the guess holds, nextTemplate already is the follower of lastTemplate.)
 */
function matched(t: i32): void {
  if (lastTemplate >= 0) {
    const at = templateInfoAt(lastTemplate);
    const follow = load<i32>(at, INFO_FOLLOW);
    if (follow != t) {
      store<i32>(at, follow, INFO_FOLLOW_BEFORE);
      store<i32>(at, t, INFO_FOLLOW);
    }
  }
  lastTemplate = t;
  nextTemplate = load<i32>(templateInfoAt(t), INFO_FOLLOW);
}

/**
 * Whether the message at `a` holds template `t`'s bytes (its length `n` >= 16) where its mask
 * compares them. First the bytes where the templates of a log differ, so that a template that
 * does not match (most tried) fails on one test: the last 16 (the component) and those from 32
 * (the file and line, past a thread id of up to nine bytes).
 */
@inline function sameTemplate(a: usize, t: i32, n: i32): bool {
  const b = templates + <usize>(t * TEMPLATE_BYTES);
  const mask = templateMasks + <usize>(t * TEMPLATE_BYTES);
  if (v128.any_true(v128.or(maskedDiffer(a, b, mask, <usize>(n - 16)), maskedDiffer(a, b, mask, 32)))) return false;
  // The others of the first 64 bytes in one test (the mask is 0 past the template), then any more.
  let differ = v128.or(maskedDiffer(a, b, mask, 0), v128.or(maskedDiffer(a, b, mask, 16), maskedDiffer(a, b, mask, 48)));
  for (let i: usize = 64; i < <usize>n; i += 16) differ = v128.or(differ, maskedDiffer(a, b, mask, i));
  return !v128.any_true(differ);
}

/** The bits that differ between the 16 bytes at `a + at` and at `b + at`, where `mask` compares them. */
@inline function maskedDiffer(a: usize, b: usize, mask: usize, at: usize): v128 {
  return v128.and(v128.xor(v128.load(a + at), v128.load(b + at)), v128.load(mask + at));
}

/** Keeps [m, m + length) as a template (replacing the oldest once there are MAX_TEMPLATES). */
function addTemplate(m: usize, length: i32, kind: i32, component: i32): void {
  if (length > TEMPLATE_BYTES || length < 16) return;
  let t = templateCount;
  if (t < MAX_TEMPLATES) templateCount++;
  else t = replaceTemplate = replaceTemplate + 1 < MAX_TEMPLATES ? replaceTemplate + 1 : 0;
  memory.copy(templates + <usize>(t * TEMPLATE_BYTES), m, length);
  // It compares its bytes, but for the time's digits (the TypeScript scanner reads only the space
  // at 5 and the colon at 8 of the 21 before the thread id).
  const mask = templateMasks + <usize>(t * TEMPLATE_BYTES);
  memory.fill(mask, 0xff, <usize>length);
  memory.fill(mask + <usize>length, 0, <usize>(TEMPLATE_BYTES - length));
  for (let i = 1; i < 21; i++) if (i != 5 && i != 8) store<u8>(mask + <usize>i, 0);
  const info = templateInfoAt(t);
  store<i32>(info, length);
  store<i32>(info, kind, INFO_KIND);
  store<i32>(info, component, INFO_COMPONENT);
  store<i32>(info, -1, INFO_FOLLOW);
  store<i32>(info, -1, INFO_FOLLOW_BEFORE);
  matched(t);
}
let replaceTemplate: i32 = MAX_TEMPLATES - 1;

@inline function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

@inline function skipped(time: f64): bool {
  if (lineFormat == 0 ? dockerSeen : criSeen) {
    if (lineFormat == 0) skippedDocker++;
    else skippedCri++;
    fallbackOpen = false;
  } else {
    emit(EV_SKIPPED | (lineFormat << 24), 0, 0, 0, time);
    if (lineFormat == 0) dockerSeen = true;
    else criSeen = true;
  }
  return true;
}

/**
 * The path `\"...\"` opening at `at`, followed by ` satisfied by`, all before `end`. Returns its
 * path id (interned when `intern`, else 0), or -1 when the line is to be read by the TypeScript
 * scanner (no such path, a backslash other than `\u` in the query, an unescaped quote...).
 */
@inline function readPath(at: usize, end: usize, intern: bool, escaped: bool, httplog: bool = false): i32 {
  const quoteBytes: usize = escaped ? 2 : 1;
  if (escaped ? load<u16>(at) != ESCAPED_QUOTE : load<u8>(at) != QUOTE) return -1;
  const start = at + quoteBytes;
  // The lines of one request name the same path: the same bytes and the closing quote after
  // them are delimited the same way (the walk looks at nothing past that quote). Interned paths
  // hold neither quotes nor backslashes (canonicalPath), so this holds in either kind of line.
  if (lastPathId >= 0) {
    const close = start + <usize>lastPathLength;
    if (
      close + quoteBytes + 13 <= end &&
      (escaped ? load<u16>(close) == ESCAPED_QUOTE : load<u8>(close) == QUOTE) &&
      sameBytes(start, arena + <usize>load<i32>(pathOffset + (<usize>lastPathId << 2)), lastPathLength)
    ) {
      return pathTail(close + quoteBytes, end, httplog) ? (intern ? lastPathId : 0) : -1;
    }
  }
  return readNewPath(start, end, intern, escaped, httplog);
}

/**
 * readPath for a path other than the last one, from `start` (past its opening quote). readPath
 * is inlined where it is called: the usual case, the path of the line before, costs little more
 * than a call would.
 */
function readNewPath(start: usize, end: usize, intern: bool, escaped: bool, httplog: bool): i32 {
  const quoteBytes: usize = escaped ? 2 : 1;
  const limit = min(end, start + <usize>PATH_REACH);
  let p = start;
  let query: usize = 0;
  const quote = i8x16.splat(QUOTE);
  const backslash = i8x16.splat(BACKSLASH);
  const question = i8x16.splat(0x3f);
  let close: usize = 0;
  while (p < limit) {
    // 32 bytes a step.
    const low = v128.load(p);
    const high = v128.load(p, 16);
    let mask =
      i8x16.bitmask(v128.or(i8x16.eq(low, quote), i8x16.eq(low, backslash))) |
      (i8x16.bitmask(v128.or(i8x16.eq(high, quote), i8x16.eq(high, backslash))) << 16);
    if (query == 0) mask |= i8x16.bitmask(i8x16.eq(low, question)) | (i8x16.bitmask(i8x16.eq(high, question)) << 16);
    if (mask == 0) {
      p += 32;
      continue;
    }
    p += ctz(mask);
    if (p >= limit) return -1;
    const c = load<u8>(p);
    if (c == 0x3f) {
      query = p;
      p++;
      continue;
    }
    if (c == QUOTE) {
      // Unescaped, the first quote closes the path; in a Docker line it needs a JSON decode.
      if (escaped) return -1;
      close = p;
      break;
    }
    // A backslash: outside a JSON string, no path of the TypeScript scanner's holds one.
    if (!escaped) return -1;
    const after = load<u8>(p, 1);
    if (after == QUOTE) {
      close = p;
      break;
    }
    if (query != 0 && after == 0x75 /* u */) {
      p += 6;
      continue;
    }
    return -1;
  }
  if (close == 0) return -1;
  if (!pathTail(close + quoteBytes, end, httplog)) return -1;
  if (!intern) return 0;
  if (query == 0) return internPath(start, <i32>(close - start));
  return internPath(canonical, canonicalPath(start, query, close));
}

/**
 * The bytes a path with a query [start, close) (its `?` at `query`) is interned as, written at
 * `canonical`: the path, then `?watch=1` when the query holds `watch=true` or `watch=1` (as
 * line-reader.ts watchQuery reads it, escapes and all), else `?`. The TypeScript scanner takes
 * nothing else from a query (pathInfo: the path parsed, and whether a GET is a watch), so these
 * bytes count as the path did, and the requests of a watch whose query names a resource version
 * (a new one each time) go to one path, not one path each. The result holds neither quotes nor
 * backslashes, and is its own canonical form. Returns its length.
 */
function canonicalPath(start: usize, query: usize, close: usize): i32 {
  const length = <i32>(query - start);
  memory.copy(canonical, start, <usize>length);
  const at = canonical + <usize>length;
  if (watchQuery(query + 1, close)) {
    store<u64>(at, WATCH_ONE_QUERY);
    return length + 8;
  }
  store<u8>(at, 0x3f);
  return length + 1;
}

/** Whether [from, end) holds `watch=true` or `watch=1`. */
function watchQuery(from: usize, end: usize): bool {
  const w = i8x16.splat(0x77);
  for (let block = from; block < end; block += 16) {
    let mask = i8x16.bitmask(i8x16.eq(v128.load(block), w));
    while (mask != 0) {
      const p = block + <usize>ctz(mask);
      mask &= mask - 1;
      if (p + 7 > end) return false;
      if ((load<u64>(p) & 0xffffffffffffff) == WATCH_1) return true;
      if (p + 10 <= end && load<u64>(p) == WATCH_TR && load<u16>(p, 8) == 0x6575 /* ue */) return true;
    }
  }
  return false;
}

/** What follows a path's closing quote: ` satisfied by`, or in an httplog line a ` resp=` later on. */
@inline function pathTail(at: usize, end: usize, httplog: bool): bool {
  return httplog ? respWithin(at, end) : satisfiedBy(at, end);
}

@inline function satisfiedBy(at: usize, end: usize): bool {
  return (
    at + 13 <= end &&
    load<u64>(at) == SATISFIED_0 &&
    load<u32>(at, 8) == SATISFIED_1 &&
    load<u8>(at, 12) == 0x79
  );
}

function hashBytes(at: usize, length: i32): u32 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ <u64>length;
  let i: i32 = 0;
  for (; i + 8 <= length; i += 8) {
    h = (h ^ load<u64>(at + <usize>i)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
  }
  if (i < length) {
    const tailBits: u64 = <u64>(length - i) * 8;
    const tailMask: u64 = (<u64>1 << tailBits) - 1;
    const tail = load<u64>(at + <usize>i) & tailMask;
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53;
  }
  h ^= h >> 32;
  return <u32>h;
}

/** The id of the path [at, at + length), made (and announced) when it is new. */
function internPath(at: usize, length: i32): i32 {
  let slot = hashBytes(at, length) & <u32>(TABLE_SLOTS - 1);
  for (;;) {
    const held = load<i32>(table + (<usize>slot << 2));
    if (held == 0) break;
    const id = held - 1;
    if (
      load<i32>(pathLength + (<usize>id << 2)) == length &&
      sameBytes(at, arena + <usize>load<i32>(pathOffset + (<usize>id << 2)), length)
    ) {
      lastPathId = id;
      lastPathLength = length;
      return id;
    }
    slot = (slot + 1) & <u32>(TABLE_SLOTS - 1);
  }
  if (pathCount >= MAX_PATHS || arenaUsed + length > ARENA_BYTES) {
    // This line goes to the TypeScript scanner, and the scan stops for the caller to clear.
    pathsFull = true;
    return -1;
  }
  const id = pathCount++;
  memory.copy(arena + <usize>arenaUsed, at, length);
  store<i32>(pathOffset + (<usize>id << 2), arenaUsed);
  store<i32>(pathLength + (<usize>id << 2), length);
  arenaUsed += length;
  store<i32>(table + (<usize>slot << 2), id + 1);
  lastPathId = id;
  lastPathLength = length;
  return id;
}

/** The id of the component named by [at, colon), made (and announced) when it is new; -1 past the table. */
function componentOf(at: usize, colon: usize): i32 {
  if (foundComponent >= 0) return foundComponent;
  const length = <i32>(colon - at);
  if (componentCount >= MAX_COMPONENTS || length > COMPONENT_BYTES) return -1;
  const id = componentCount++;
  memory.copy(componentNames + <usize>(id * COMPONENT_BYTES), at, length);
  store<i32>(componentLengths + (<usize>id << 2), length);
  emit(EV_NEW_COMPONENT | (id << 8), 0, 0, 0, 0);
  return id;
}
