import type { ObjectRef } from '../types.js';
import { VERBS, isWriteVerb } from './request-path.js';

/**
 * Counts per object for one channel (one signal, or one apiserver component's satisfied-by
 * lines). Memory is bounded per object: the verb counts, first and last time, and at most
 * `maxMinutes` per-minute write buckets (older minutes are folded away, totals stay exact).
 */

export interface ObjectTally {
  key: string;
  ref: ObjectRef;
  verbs: Uint32Array;
  firstMs: number;
  lastMs: number;
  /** Epoch minute of perMinute[0]; -1 before the first write. */
  minuteStart: number;
  perMinute: Uint32Array | null;
  /** Used length of perMinute. */
  minutes: number;
}

export const DEFAULT_MAX_MINUTES = 1440;
const MS_PER_MINUTE = 60_000;

export class ChannelTally {
  readonly objects = new Map<string, ObjectTally>();
  requests = 0;
  constructor(readonly maxMinutes: number) {}

  record(key: string, ref: ObjectRef, verb: number, timeMs: number): void {
    this.count(this.tallyOf(key, ref, timeMs), verb, timeMs);
  }

  /** The object's tally, made on its first request (at `timeMs`, which count() then adds). */
  tallyOf(key: string, ref: ObjectRef, timeMs: number): ObjectTally {
    let tally = this.objects.get(key);
    if (tally === undefined) {
      tally = {
        key,
        ref,
        verbs: new Uint32Array(VERBS.length),
        firstMs: timeMs,
        lastMs: timeMs,
        minuteStart: -1,
        perMinute: null,
        minutes: 0,
      };
      this.objects.set(key, tally);
    }
    return tally;
  }

  /** One request to an object of this channel (a tally from tallyOf, kept by the caller). */
  count(tally: ObjectTally, verb: number, timeMs: number): void {
    this.requests++;
    tally.verbs[verb]!++;
    if (timeMs < tally.firstMs) tally.firstMs = timeMs;
    if (timeMs > tally.lastMs) tally.lastMs = timeMs;
    if (isWriteVerb(verb)) addMinutes(tally, Math.floor(timeMs / MS_PER_MINUTE), 1, this.maxMinutes);
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
      for (let i = 0; i < ours.verbs.length; i++) ours.verbs[i]! += theirs.verbs[i] ?? 0;
      ours.firstMs = Math.min(ours.firstMs, theirs.firstMs);
      ours.lastMs = Math.max(ours.lastMs, theirs.lastMs);
      if (theirs.perMinute) {
        for (let i = 0; i < theirs.minutes; i++) {
          const count = theirs.perMinute[i]!;
          if (count) addMinutes(ours, theirs.minuteStart + i, count, this.maxMinutes);
        }
      }
    }
  }
}

/**
 * Adds writes to a minute bucket, growing the window at either end. Past `maxMinutes` the oldest
 * minutes are dropped (a minute older than the window is dropped itself): the sparkline shows the
 * latest day, the verb counts keep every request.
 */
function addMinutes(tally: ObjectTally, minute: number, count: number, maxMinutes: number): void {
  if (tally.perMinute === null) {
    tally.perMinute = new Uint32Array(8);
    tally.minuteStart = minute;
    tally.minutes = 1;
    tally.perMinute[0] = count;
    return;
  }
  let index = minute - tally.minuteStart;
  if (index >= 0 && index < tally.minutes) {
    tally.perMinute[index]! += count;
    return;
  }
  if (index < 0) {
    const newLength = tally.minutes - index;
    if (newLength > maxMinutes) return;
    const grown = new Uint32Array(capacityFor(newLength, maxMinutes));
    grown.set(tally.perMinute.subarray(0, tally.minutes), -index);
    grown[0] = count;
    tally.perMinute = grown;
    tally.minuteStart = minute;
    tally.minutes = newLength;
    return;
  }
  // A later minute: grow, or slide the window so that `minute` is its last bucket.
  let newLength = index + 1;
  if (newLength > maxMinutes) {
    const drop = newLength - maxMinutes;
    const keep = Math.max(0, tally.minutes - drop);
    const slid = new Uint32Array(capacityFor(maxMinutes, maxMinutes));
    if (keep > 0) slid.set(tally.perMinute.subarray(drop, drop + keep));
    tally.perMinute = slid;
    tally.minuteStart += drop;
    index -= drop;
    newLength = maxMinutes;
  } else if (newLength > tally.perMinute.length) {
    const grown = new Uint32Array(capacityFor(newLength, maxMinutes));
    grown.set(tally.perMinute.subarray(0, tally.minutes));
    tally.perMinute = grown;
  }
  tally.minutes = newLength;
  tally.perMinute[index]! += count;
}

function capacityFor(length: number, maxMinutes: number): number {
  let capacity = 8;
  while (capacity < length) capacity *= 2;
  return Math.min(capacity, Math.max(maxMinutes, length));
}
