import type { ObjectRef } from '../types.js';
import { VERBS, isWriteVerb } from './request-path.js';

/**
 * Counts per object for one channel (one signal, or one apiserver component's satisfied-by
 * lines). Memory is bounded per object: the verb counts, first and last time, and at most
 * `maxMinutes` per-minute write buckets (older minutes are folded away, totals stay exact).
 *
 * The buckets hold the writes of the minutes from max(first write, last write - maxMinutes + 1)
 * to the last write, whatever order the writes are added in: lines out of time order, byte
 * ranges scanned apart, and the kernel's runs of minutes all give the same buckets.
 */

export interface ObjectTally {
  key: string;
  ref: ObjectRef;
  verbs: Uint32Array;
  firstMs: number;
  lastMs: number;
  /** Epoch minute of perMinute[0]; -1 before the first write. */
  minuteStart: number;
  /** Epoch minute of the first write, also when it fell out of the buckets; Infinity before one. */
  firstWriteMinute: number;
  perMinute: Uint32Array | null;
  /** Used length of perMinute. */
  minutes: number;
}

export const DEFAULT_MAX_MINUTES = 1440;
const MS_PER_MINUTE = 60_000;

const VERB_COUNT = VERBS.length;

/**
 * A tally made by a channel. Its verb counts and its first and last times live in the channel's
 * arrays, next to those of the other objects: a request then updates a few bytes of a small
 * array instead of an object and a typed array of its own (cache misses, measured: about a fifth
 * of the CPU of a two-thread scan). Only a write touches the tally itself, for its minute.
 */
class Tally implements ObjectTally {
  minuteStart = -1;
  firstWriteMinute = Infinity;
  perMinute: Uint32Array | null = null;
  minutes = 0;

  constructor(
    public key: string,
    public ref: ObjectRef,
    readonly channel: ChannelTally,
    readonly id: number,
  ) {}

  get verbs(): Uint32Array {
    return this.channel.verbCounts.subarray(this.id * VERB_COUNT, (this.id + 1) * VERB_COUNT);
  }

  get firstMs(): number {
    return this.channel.times[this.id * 2]!;
  }

  set firstMs(ms: number) {
    this.channel.times[this.id * 2] = ms;
  }

  get lastMs(): number {
    return this.channel.times[this.id * 2 + 1]!;
  }

  set lastMs(ms: number) {
    this.channel.times[this.id * 2 + 1] = ms;
  }
}

export class ChannelTally {
  readonly objects = new Map<string, ObjectTally>();
  requests = 0;
  /** Verb counts of the tallies this channel made, VERB_COUNT per tally id. */
  verbCounts = new Uint32Array(64 * VERB_COUNT);
  /** First and last time of each tally id. */
  times = new Float64Array(64 * 2);
  private made = 0;

  constructor(readonly maxMinutes: number) {}

  record(key: string, ref: ObjectRef, verb: number, timeMs: number): void {
    this.count(this.tallyOf(key, ref, timeMs), verb, timeMs);
  }

  /** The object's tally, made on its first request (at `timeMs`, which count() then adds). */
  tallyOf(key: string, ref: ObjectRef, timeMs: number): ObjectTally {
    let tally = this.objects.get(key);
    if (tally === undefined) {
      const id = this.made++;
      if ((id + 1) * VERB_COUNT > this.verbCounts.length) {
        const verbCounts = new Uint32Array(this.verbCounts.length * 2);
        verbCounts.set(this.verbCounts);
        this.verbCounts = verbCounts;
        const times = new Float64Array(this.times.length * 2);
        times.set(this.times);
        this.times = times;
      }
      this.times[id * 2] = timeMs;
      this.times[id * 2 + 1] = timeMs;
      tally = new Tally(key, ref, this, id);
      this.objects.set(key, tally);
    }
    return tally;
  }

  /** The id countAt() takes for a tally this channel made; -1 for any other (merged in). */
  idOf(tally: ObjectTally): number {
    return tally instanceof Tally && tally.channel === this ? tally.id : -1;
  }

  /** One request to an object of this channel (a tally from tallyOf, kept by the caller). */
  count(tally: ObjectTally, verb: number, timeMs: number): void {
    const id = this.idOf(tally);
    if (id >= 0) {
      this.countAt(id, tally, verb, timeMs);
      return;
    }
    this.requests++;
    tally.verbs[verb]!++;
    if (timeMs < tally.firstMs) tally.firstMs = timeMs;
    if (timeMs > tally.lastMs) tally.lastMs = timeMs;
    if (isWriteVerb(verb)) addMinutes(tally, Math.floor(timeMs / MS_PER_MINUTE), 1, this.maxMinutes);
  }

  /** count() for the tally of id `id` (from idOf). */
  countAt(id: number, tally: ObjectTally, verb: number, timeMs: number): void {
    this.requests++;
    this.verbCounts[id * VERB_COUNT + verb]!++;
    const times = this.times;
    const at = id * 2;
    if (timeMs < times[at]!) times[at] = timeMs;
    if (timeMs > times[at + 1]!) times[at + 1] = timeMs;
    if (isWriteVerb(verb)) addMinutes(tally, Math.floor(timeMs / MS_PER_MINUTE), 1, this.maxMinutes);
  }

  /**
   * Requests added up elsewhere (the kernel's slots): `counts[v]` of verb v, for every verb,
   * made between `firstMs` and `lastMs`, without their minutes (addWriteRun). One call per object:
   * this runs once per object at the end of a scan, in code not yet compiled.
   */
  addVerbCounts(tally: ObjectTally, counts: Uint32Array, firstMs: number, lastMs: number): void {
    const id = this.idOf(tally);
    const verbs = id >= 0 ? this.verbCounts : tally.verbs;
    const base = id >= 0 ? id * VERB_COUNT : 0;
    let total = 0;
    for (let verb = 0; verb < VERB_COUNT; verb++) {
      const n = counts[verb]!;
      verbs[base + verb]! += n;
      total += n;
    }
    this.requests += total;
    if (id >= 0) {
      const at = id * 2;
      if (firstMs < this.times[at]!) this.times[at] = firstMs;
      if (lastMs > this.times[at + 1]!) this.times[at + 1] = lastMs;
      return;
    }
    if (firstMs < tally.firstMs) tally.firstMs = firstMs;
    if (lastMs > tally.lastMs) tally.lastMs = lastMs;
  }

  /** Writes per minute from `firstMinute` (epoch minutes): `counts[at, at + length)`. */
  addWriteRun(
    tally: ObjectTally,
    firstMinute: number,
    counts: Uint32Array,
    at: number,
    length: number,
  ): void {
    addMinuteRun(tally, firstMinute, counts, at, length, this.maxMinutes);
  }

  /** Folds another tally of the same channel in (worker results, several files). */
  merge(other: ChannelTally): void {
    this.requests += other.requests;
    for (const [key, theirs] of other.objects) {
      const ours = this.objects.get(key);
      if (ours === undefined) {
        this.objects.set(key, theirs);
        continue;
      }
      const verbs = ours.verbs;
      const added = theirs.verbs;
      for (let i = 0; i < verbs.length; i++) verbs[i]! += added[i] ?? 0;
      ours.firstMs = Math.min(ours.firstMs, theirs.firstMs);
      ours.lastMs = Math.max(ours.lastMs, theirs.lastMs);
      if (theirs.perMinute) {
        addMinuteRun(
          ours,
          theirs.minuteStart,
          theirs.perMinute,
          0,
          theirs.minutes,
          this.maxMinutes,
          theirs.firstWriteMinute,
        );
      }
    }
  }
}

/** Adds `count` writes in `minute` to the object's buckets. */
function addMinutes(tally: ObjectTally, minute: number, count: number, maxMinutes: number): void {
  const index = minute - tally.minuteStart;
  if (tally.perMinute !== null && index >= 0 && index < tally.minutes) {
    tally.perMinute[index]! += count;
    return;
  }
  placeWindow(tally, minute, minute, maxMinutes);
  const at = minute - tally.minuteStart;
  if (at >= 0 && at < tally.minutes) tally.perMinute![at]! += count;
}

/**
 * Adds `counts[at, at + runLength)`, the writes of the minutes from `runStart` on (worker
 * results, the kernel's runs): the window is placed once for the run.
 */
function addMinuteRun(
  tally: ObjectTally,
  runStart: number,
  counts: Uint32Array,
  at: number,
  runLength: number,
  maxMinutes: number,
  firstWriteMinute = Infinity,
): void {
  let first = 0;
  while (first < runLength && counts[at + first] === 0) first++;
  let last = runLength - 1;
  while (last >= first && counts[at + last] === 0) last--;
  if (first > last) return;
  placeWindow(tally, Math.min(runStart + first, firstWriteMinute), runStart + last, maxMinutes);
  // The run's minutes the window holds, found once rather than tested minute by minute: at the
  // end of a scan this runs thousands of times, mostly before it is compiled.
  const perMinute = tally.perMinute!;
  const offset = runStart - tally.minuteStart;
  const from = Math.max(first, -offset);
  const to = Math.min(last, tally.minutes - 1 - offset);
  for (let i = from; i <= to; i++) perMinute[offset + i]! += counts[at + i]!;
}

/**
 * Moves the buckets' window to take writes from `low` to `high`: it runs from max(first write,
 * last write - maxMinutes + 1) to the last write, keeping the counts of the minutes it still covers.
 */
function placeWindow(tally: ObjectTally, low: number, high: number, maxMinutes: number): void {
  const old = tally.perMinute;
  const oldStart = tally.minuteStart;
  const oldEnd = oldStart + tally.minutes - 1;
  const firstWrite = Math.min(tally.firstWriteMinute, low);
  const end = old === null ? high : Math.max(oldEnd, high);
  const start = Math.max(firstWrite, end - maxMinutes + 1);
  tally.firstWriteMinute = firstWrite;
  const length = end - start + 1;
  if (old !== null && start === oldStart && length <= old.length) {
    tally.minutes = length;
    return;
  }
  const buckets = new Uint32Array(capacityFor(length, maxMinutes));
  if (old !== null) {
    const from = Math.max(start, oldStart);
    const to = Math.min(end, oldEnd);
    if (from <= to) buckets.set(old.subarray(from - oldStart, to - oldStart + 1), from - start);
  }
  tally.perMinute = buckets;
  tally.minuteStart = start;
  tally.minutes = length;
}

/**
 * Buckets grow sixteenfold: a writer's window grows with the log, and each growth is an allocation
 * and a copy. Doubling from 8 made five per object on a two-hour log, a fifth of the per-minute
 * work of a scan; growing fourfold still made three (16, 64 and 256 minutes) on the 90-minute
 * bench log, whose scan's thread made 10,900 of them, each a buffer of its own outside the heap.
 * Sixteenfold, measured there: 1.1% fewer instructions, 400 fewer page faults. The price: a window
 * of 17 to 64 minutes takes 1 KiB instead of 256 bytes. At most 4 bytes x maxMinutes per object
 * all the same.
 */
function capacityFor(length: number, maxMinutes: number): number {
  let capacity = 16;
  while (capacity < length) capacity *= 16;
  return Math.min(capacity, Math.max(maxMinutes, length));
}
