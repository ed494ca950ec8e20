import type { LogFormat, ObjectRef, Signal } from '../types.js';
import { VERBS } from './request-path.js';
import { ChannelTally } from './tally.js';
import type { ScanCounts } from './scan-counts.js';
import { chooseChannel } from './summary.js';

/**
 * ScanCounts packed for postMessage from a worker thread, and the merge of several: the counts of
 * byte ranges scanned apart add up to the counts of one pass.
 */

/**
 * One channel's objects, packed: their numbers in three typed arrays (handed over, not copied)
 * and their keys and refs in two arrays. A structured clone of an object per tally, each with
 * two typed arrays of its own, took 10-20 ms on a 1 GiB scan's worker.
 */
export interface PackedChannel {
  requests: number;
  keys: string[];
  refs: ObjectRef[];
  /** PACKED_NUMBERS per object: see packChannel. */
  numbers: Float64Array;
  /** VERB_COUNT per object. */
  verbs: Uint32Array;
  /** The objects' used per-minute buckets, one after another. */
  perMinute: Uint32Array;
}

export interface PackedCounts {
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  formats: Partial<Record<LogFormat, number>>;
  signalsSeen: Partial<Record<Signal, number>>;
  audit: PackedChannel;
  httplog: PackedChannel;
  handlers: [string, PackedChannel][];
}

const PACKED_NUMBERS = 5;
const VERB_COUNT = VERBS.length;

function packChannel(channel: ChannelTally, transfer: ArrayBuffer[]): PackedChannel {
  const objects = [...channel.objects.values()];
  let minutes = 0;
  for (const o of objects) if (o.perMinute) minutes += o.minutes;
  const numbers = new Float64Array(objects.length * PACKED_NUMBERS);
  const verbs = new Uint32Array(objects.length * VERB_COUNT);
  const perMinute = new Uint32Array(minutes);
  let used = 0;
  objects.forEach((o, i) => {
    const at = i * PACKED_NUMBERS;
    numbers[at] = o.firstMs;
    numbers[at + 1] = o.lastMs;
    numbers[at + 2] = o.minuteStart;
    numbers[at + 3] = o.firstWriteMinute;
    // -1: no buckets (no write yet), else how many are used.
    numbers[at + 4] = o.perMinute ? o.minutes : -1;
    verbs.set(o.verbs, i * VERB_COUNT);
    if (o.perMinute) {
      perMinute.set(o.perMinute.subarray(0, o.minutes), used);
      used += o.minutes;
    }
  });
  transfer.push(numbers.buffer, verbs.buffer, perMinute.buffer);
  return {
    requests: channel.requests,
    keys: objects.map((o) => o.key),
    refs: objects.map((o) => o.ref),
    numbers,
    verbs,
    perMinute,
  };
}

/** The tallies unpacked are views on the packed arrays, which they then own. */
function unpackChannel(data: PackedChannel, maxMinutes: number): ChannelTally {
  const channel = new ChannelTally(maxMinutes);
  channel.requests = data.requests;
  const { numbers, verbs, perMinute } = data;
  let used = 0;
  data.keys.forEach((key, i) => {
    const at = i * PACKED_NUMBERS;
    const minutes = numbers[at + 4]!;
    channel.objects.set(key, {
      key,
      ref: data.refs[i]!,
      verbs: verbs.subarray(i * VERB_COUNT, (i + 1) * VERB_COUNT),
      firstMs: numbers[at]!,
      lastMs: numbers[at + 1]!,
      minuteStart: numbers[at + 2]!,
      firstWriteMinute: numbers[at + 3]!,
      perMinute: minutes < 0 ? null : perMinute.subarray(used, used + minutes),
      minutes: Math.max(minutes, 0),
    });
    if (minutes > 0) used += minutes;
  });
  return channel;
}

/** The counts packed, and the buffers to hand over with them (postMessage's transfer list). */
export function packCounts(counts: ScanCounts): { packed: PackedCounts; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const packed: PackedCounts = {
    bytesRead: counts.bytesRead,
    linesRead: counts.linesRead,
    linesSkipped: counts.linesSkipped,
    formats: counts.formats,
    signalsSeen: counts.signalsSeen,
    audit: packChannel(counts.audit, transfer),
    httplog: packChannel(counts.httplog, transfer),
    handlers: [...counts.handlers].map(([name, channel]) => [name, packChannel(channel, transfer)]),
  };
  return { packed, transfer };
}

export function unpackCounts(data: PackedCounts, maxMinutes: number): ScanCounts {
  return {
    bytesRead: data.bytesRead,
    linesRead: data.linesRead,
    linesSkipped: data.linesSkipped,
    formats: { ...data.formats },
    signalsSeen: { ...data.signalsSeen },
    audit: unpackChannel(data.audit, maxMinutes),
    httplog: unpackChannel(data.httplog, maxMinutes),
    handlers: new Map(data.handlers.map(([name, channel]) => [name, unpackChannel(channel, maxMinutes)])),
  };
}

function addRecord<K extends string>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
): void {
  for (const [key, value] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + value;
}

/**
 * The counts of several parts (pods, files, byte ranges scanned apart) added up for summarize(),
 * which reads the objects of one channel only: chooseChannel's, decided on the channels' request
 * totals. That channel's objects are merged; every other channel keeps only its total (merging
 * them all cost more than the summary itself on a 1 GiB scan's two threads). The parts' tallies
 * may be changed.
 */
export function mergeForSummary(parts: ScanCounts[], maxMinutes: number): ScanCounts {
  const [first, ...rest] = parts;
  if (!first) throw new Error('mergeForSummary: no parts');
  const totals = (pick: (counts: ScanCounts) => ChannelTally | undefined): ChannelTally => {
    const channel = new ChannelTally(maxMinutes);
    for (const part of parts) channel.requests += pick(part)?.requests ?? 0;
    return channel;
  };
  const names = new Set(parts.flatMap((part) => [...part.handlers.keys()]));
  const merged: ScanCounts = {
    ...first,
    formats: { ...first.formats },
    signalsSeen: { ...first.signalsSeen },
    audit: totals((c) => c.audit),
    httplog: totals((c) => c.httplog),
    handlers: new Map([...names].map((name) => [name, totals((c) => c.handlers.get(name))])),
  };
  for (const part of rest) {
    merged.bytesRead += part.bytesRead;
    merged.linesRead += part.linesRead;
    merged.linesSkipped += part.linesSkipped;
    addRecord(merged.formats, part.formats);
    addRecord(merged.signalsSeen, part.signalsSeen);
  }
  const mergeChannel = (pick: (counts: ScanCounts) => ChannelTally | undefined): ChannelTally => {
    const into = new ChannelTally(maxMinutes);
    for (const part of parts) {
      const channel = pick(part);
      if (channel) into.merge(channel);
    }
    return into;
  };
  const { channel: chosen } = chooseChannel(merged);
  if (chosen === merged.audit) merged.audit = mergeChannel((c) => c.audit);
  else if (chosen === merged.httplog) merged.httplog = mergeChannel((c) => c.httplog);
  for (const [name, channel] of merged.handlers) {
    if (channel === chosen)
      merged.handlers.set(
        name,
        mergeChannel((c) => c.handlers.get(name)),
      );
  }
  return merged;
}
