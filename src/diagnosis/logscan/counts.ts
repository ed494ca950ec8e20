import type { LogFormat, Signal } from '../types.js';
import { ChannelTally, type ObjectTally } from './tally.js';
import type { ScanCounts } from './scanner.js';

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

/** Adds `from` into `into` (which it changes). */
export function mergeCounts(into: ScanCounts, from: ScanCounts): ScanCounts {
  into.bytesRead += from.bytesRead;
  into.linesRead += from.linesRead;
  into.linesSkipped += from.linesSkipped;
  addRecord(into.formats, from.formats);
  addRecord(into.signalsSeen, from.signalsSeen);
  into.audit.merge(from.audit);
  into.httplog.merge(from.httplog);
  for (const [name, channel] of from.handlers) {
    const ours = into.handlers.get(name);
    if (ours) ours.merge(channel);
    else into.handlers.set(name, channel);
  }
  return into;
}
