import type { LogFormat, Signal } from '../types.js';
import { ChannelTally, type ObjectTally } from './tally.js';
import type { ScanCounts } from './scanner.js';
import { chooseChannel } from './summary.js';

/**
 * ScanCounts as plain data (for postMessage from a worker thread) and the merge of several: the
 * counts of byte ranges scanned apart add up to the counts of one pass.
 */

export interface ChannelData {
  requests: number;
  objects: ObjectTally[];
}

export interface ScanCountsData {
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  formats: Partial<Record<LogFormat, number>>;
  signalsSeen: Partial<Record<Signal, number>>;
  audit: ChannelData;
  httplog: ChannelData;
  handlers: [string, ChannelData][];
}

function channelData(channel: ChannelTally): ChannelData {
  return {
    requests: channel.requests,
    // Field by field: a tally's verbs and times may live in its channel's arrays (getters).
    objects: [...channel.objects.values()].map((o) => ({
      key: o.key,
      ref: o.ref,
      verbs: o.verbs.slice(),
      firstMs: o.firstMs,
      lastMs: o.lastMs,
      minuteStart: o.minuteStart,
      firstWriteMinute: o.firstWriteMinute,
      perMinute: o.perMinute ? o.perMinute.slice(0, o.minutes) : null,
      minutes: o.minutes,
    })),
  };
}

function channelFrom(data: ChannelData, maxMinutes: number): ChannelTally {
  const channel = new ChannelTally(maxMinutes);
  channel.requests = data.requests;
  for (const o of data.objects) channel.objects.set(o.key, o);
  return channel;
}

export function countsToData(counts: ScanCounts): ScanCountsData {
  return {
    bytesRead: counts.bytesRead,
    linesRead: counts.linesRead,
    linesSkipped: counts.linesSkipped,
    formats: counts.formats,
    signalsSeen: counts.signalsSeen,
    audit: channelData(counts.audit),
    httplog: channelData(counts.httplog),
    handlers: [...counts.handlers].map(([name, channel]) => [name, channelData(channel)]),
  };
}

export function countsFromData(data: ScanCountsData, maxMinutes: number): ScanCounts {
  return {
    bytesRead: data.bytesRead,
    linesRead: data.linesRead,
    linesSkipped: data.linesSkipped,
    formats: { ...data.formats },
    signalsSeen: { ...data.signalsSeen },
    audit: channelFrom(data.audit, maxMinutes),
    httplog: channelFrom(data.httplog, maxMinutes),
    handlers: new Map(data.handlers.map(([name, channel]) => [name, channelFrom(channel, maxMinutes)])),
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
