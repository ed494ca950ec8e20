import {
  MINUTES_PER_SLOT,
  SLOT_WORDS,
  STATUS_DIRTY_SLOTS,
  recordedKernel,
  type LineKernel,
} from './line-kernel.js';

/**
 * The kernel's slot events kept as data instead of carried into tallies (KernelSlots), for a
 * worker thread that hands its counts to the thread that started it. That thread's scanner holds
 * tallies for the same objects, and the code that carries slots in is compiled there already.
 * Carried in on the worker, the events cost it the code compiled a second time and every object's
 * tally made a second time, then packed, sent and merged: left out altogether, a 1 GiB scan took
 * 60 ms less. Recorded here and played there, it takes about 20 ms less (450 -> 429 ms).
 *
 * A record holds a run of the kernel's events in order, and what they refer to as the kernel held
 * it when its slots were taken: its paths' bytes, its components' names and its dirty slots.
 * `LogScanner.replaySlots` plays records as if the events came from its own kernel.
 */

/** What the scanner does with the kernel's slot events: KernelSlots carries them in, SlotRecorder keeps them. */
export interface SlotSink {
  component(component: number): void;
  slotSeen(slot: number, timeMs: number): void;
  minutes(slot: number, firstMinute: number, words: Uint32Array, at: number): void;
  request(pathId: number, component: number, logged: number, timeMs: number, sinceMs: number): void;
  take(): void;
  clear(): void;
}

const RECORD_COMPONENT = 1;
const RECORD_SLOT_SEEN = 2;
const RECORD_MINUTES = 3;
const RECORD_REQUEST = 4;

/** Plain data: typed arrays, whose buffers are handed over with postMessage. */
export interface SlotRecord {
  /**
   * The events, in order: [RECORD_COMPONENT, component], [RECORD_SLOT_SEEN, slot, timeMs],
   * [RECORD_MINUTES, slot, firstMinute], [RECORD_REQUEST, pathId, component, logged verb, timeMs].
   */
  events: Float64Array;
  /** The counts of the RECORD_MINUTES events, MINUTES_PER_SLOT each, in their order. */
  minuteCounts: Uint32Array;
  /** Paths 0..n-1: their bytes arena[pathOffsets[i], pathOffsets[i] + pathLengths[i]). */
  arena: Uint8Array;
  pathOffsets: Int32Array;
  pathLengths: Int32Array;
  componentNames: Uint8Array;
  componentLengths: Int32Array;
  slotsPerPath: number;
  /** The slots of the record's paths: every slot id in it is below this. */
  slotCount: number;
  /** The dirty slots when taken, and their SLOT_WORDS words each. */
  dirtySlots: Int32Array;
  dirtyWords: Uint32Array;
}

/** Keeps a kernel's slot events: one SlotRecord per take() (usually one, at the end of the scan). */
export class SlotRecorder implements SlotSink {
  private events = new Float64Array(1 << 14);
  private length = 0;
  private minuteCounts = new Uint32Array(1 << 14);
  private minuteLength = 0;
  /** One more than the highest path id the events since the last take refer to. */
  private paths = 0;
  private readonly records: SlotRecord[] = [];

  constructor(private readonly kernel: LineKernel) {}

  component(component: number): void {
    this.room(2);
    this.events[this.length++] = RECORD_COMPONENT;
    this.events[this.length++] = component;
  }

  slotSeen(slot: number, timeMs: number): void {
    this.pathUsed(Math.floor(slot / this.kernel.slotsPerPath));
    this.room(3);
    this.events[this.length++] = RECORD_SLOT_SEEN;
    this.events[this.length++] = slot;
    this.events[this.length++] = timeMs;
  }

  minutes(slot: number, firstMinute: number, words: Uint32Array, at: number): void {
    this.pathUsed(Math.floor(slot / this.kernel.slotsPerPath));
    this.room(3);
    const events = this.events;
    const n = this.length;
    events[n] = RECORD_MINUTES;
    events[n + 1] = slot;
    events[n + 2] = firstMinute;
    this.length = n + 3;
    if (this.minuteLength + MINUTES_PER_SLOT > this.minuteCounts.length) {
      const grown = new Uint32Array(this.minuteCounts.length * 2);
      grown.set(this.minuteCounts.subarray(0, this.minuteLength));
      this.minuteCounts = grown;
    }
    this.minuteCounts.set(words.subarray(at, at + MINUTES_PER_SLOT), this.minuteLength);
    this.minuteLength += MINUTES_PER_SLOT;
  }

  request(pathId: number, component: number, logged: number, timeMs: number): void {
    this.pathUsed(pathId);
    this.room(5);
    const events = this.events;
    const n = this.length;
    events[n] = RECORD_REQUEST;
    events[n + 1] = pathId;
    events[n + 2] = component;
    events[n + 3] = logged;
    events[n + 4] = timeMs;
    this.length = n + 5;
  }

  /** Copies the events since the last take, and what they and the dirty slots refer to, into a record. */
  take(): void {
    const kernel = this.kernel;
    const dirty = kernel.status[STATUS_DIRTY_SLOTS]!;
    if (dirty === 0 && this.length === 0) return;
    const dirtySlots = kernel.dirtySlots.slice(0, dirty);
    const dirtyWords = new Uint32Array(dirty * SLOT_WORDS);
    for (let i = 0; i < dirty; i++) {
      const slot = dirtySlots[i]!;
      this.pathUsed(Math.floor(slot / kernel.slotsPerPath));
      dirtyWords.set(kernel.slotWords.subarray(slot * SLOT_WORDS, (slot + 1) * SLOT_WORDS), i * SLOT_WORDS);
    }
    const paths = this.paths;
    let arenaEnd = 0;
    for (let i = 0; i < paths; i++)
      arenaEnd = Math.max(arenaEnd, kernel.pathOffsets[i]! + kernel.pathLengths[i]!);
    this.records.push({
      events: this.events.slice(0, this.length),
      minuteCounts: this.minuteCounts.slice(0, this.minuteLength),
      arena: Uint8Array.prototype.slice.call(kernel.arena, 0, arenaEnd),
      pathOffsets: kernel.pathOffsets.slice(0, paths),
      pathLengths: kernel.pathLengths.slice(0, paths),
      componentNames: Uint8Array.prototype.slice.call(kernel.componentNames),
      componentLengths: kernel.componentLengths.slice(),
      slotsPerPath: kernel.slotsPerPath,
      slotCount: paths * kernel.slotsPerPath,
      dirtySlots,
      dirtyWords,
    });
    this.length = 0;
    this.minuteLength = 0;
    kernel.slotsTaken();
  }

  /** After take(): the kernel forgets its paths, and gives their ids out again from 0. */
  clear(): void {
    this.kernel.clearPaths();
    this.paths = 0;
  }

  /**
   * Bytes held: the events not yet taken and the records taken. They grow with the log (runs of
   * minutes), so a worker hands them over whenever they pass a bound (scan-worker.ts).
   */
  recordedBytes(): number {
    let bytes = this.length * 8 + this.minuteLength * 4;
    for (const r of this.records)
      bytes += r.events.byteLength + r.minuteCounts.byteLength + r.dirtyWords.byteLength + r.arena.byteLength;
    return bytes;
  }

  /** The records taken so far (handed over once), and their buffers for postMessage's transfer list. */
  taken(): { records: SlotRecord[]; transfer: ArrayBuffer[] } {
    const records = this.records.splice(0);
    const transfer = records.flatMap((r) =>
      [
        r.events,
        r.minuteCounts,
        r.arena,
        r.pathOffsets,
        r.pathLengths,
        r.componentNames,
        r.componentLengths,
        r.dirtySlots,
        r.dirtyWords,
      ].map((array) => array.buffer as ArrayBuffer),
    );
    return { records, transfer };
  }

  private pathUsed(pathId: number): void {
    if (pathId >= this.paths) this.paths = pathId + 1;
  }

  private room(n: number): void {
    if (this.length + n <= this.events.length) return;
    const grown = new Float64Array(Math.max(this.events.length * 2, this.length + n));
    grown.set(this.events.subarray(0, this.length));
    this.events = grown;
  }
}

/**
 * The kernel a record was taken from, as KernelSlots reads one: its paths, and its dirty slots'
 * words, each found through slotOffsets.
 */
export function kernelOfRecord(record: SlotRecord): LineKernel {
  const dirty = record.dirtySlots.length;
  // The dirty words stay where the record has them: a table of every slot would be mostly
  // copies and fresh pages (this runs once per record, before it is compiled).
  const slotOffsets = new Int32Array(record.slotCount).fill(-1);
  for (let i = 0; i < dirty; i++) slotOffsets[record.dirtySlots[i]!] = i * SLOT_WORDS;
  const status = new Int32Array(STATUS_DIRTY_SLOTS + 1);
  status[STATUS_DIRTY_SLOTS] = dirty;
  const bytes = (array: Uint8Array): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return recordedKernel({
    arena: bytes(record.arena),
    pathOffsets: record.pathOffsets,
    pathLengths: record.pathLengths,
    componentNames: bytes(record.componentNames),
    componentLengths: record.componentLengths,
    slotsPerPath: record.slotsPerPath,
    slotWords: record.dirtyWords,
    slotOffsets,
    dirtySlots: record.dirtySlots,
    status,
  });
}

/**
 * Plays a record's requests of components past the slots into `sink`, and none of its other
 * events: enough for request totals, which its dirty slots (sink.take()) give the rest of.
 */
export function playRecordRequests(record: SlotRecord, sink: SlotSink, sinceMs: number): void {
  const events = record.events;
  for (let at = 0; at < events.length;) {
    const kind = events[at]! | 0;
    if (kind === RECORD_REQUEST) {
      sink.request(events[at + 1]! | 0, events[at + 2]! | 0, events[at + 3]! | 0, events[at + 4]!, sinceMs);
    }
    at += RECORD_LENGTH[kind] ?? unknownRecord(events[at]!);
  }
}

/** Numbers per event, by its kind. */
const RECORD_LENGTH: Record<number, number> = {
  [RECORD_COMPONENT]: 2,
  [RECORD_SLOT_SEEN]: 3,
  [RECORD_MINUTES]: 3,
  [RECORD_REQUEST]: 5,
};

function unknownRecord(kind: number): never {
  throw new Error(`log scanner: unknown slot record ${kind}`);
}

/**
 * Plays a record's events, in their order, into `sink` (as the scanner plays its kernel's); the
 * caller then takes the record's dirty slots (sink.take()).
 */
export function playRecord(record: SlotRecord, sink: SlotSink, sinceMs: number): void {
  const { events, minuteCounts } = record;
  let minutesAt = 0;
  // Ids as integers: read from a Float64Array they would be doubles, and index arrays slowly.
  // Few operations an event: this loop runs once, mostly before it is compiled.
  for (let at = 0; at < events.length;) {
    switch (events[at]! | 0) {
      case RECORD_COMPONENT:
        sink.component(events[at + 1]! | 0);
        at += 2;
        break;
      case RECORD_SLOT_SEEN:
        sink.slotSeen(events[at + 1]! | 0, events[at + 2]!);
        at += 3;
        break;
      case RECORD_MINUTES:
        sink.minutes(events[at + 1]! | 0, events[at + 2]!, minuteCounts, minutesAt);
        minutesAt += MINUTES_PER_SLOT;
        at += 3;
        break;
      case RECORD_REQUEST:
        sink.request(events[at + 1]! | 0, events[at + 2]! | 0, events[at + 3]! | 0, events[at + 4]!, sinceMs);
        at += 5;
        break;
      default:
        unknownRecord(events[at]!);
    }
  }
}
