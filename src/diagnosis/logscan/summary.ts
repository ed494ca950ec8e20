import type { ActivitySummary, HotObject, ObjectActivity, Signal } from '../types.js';
import { LOG_LOOP_RULE, isLooping, typicalRate, type LoopRuleSettings } from '../loop-rule.js';
import { observedRate, type ObservedRate } from '../observed-rate.js';
import { VERBS, isWriteVerb } from './request-path.js';
import type { ChannelTally, ObjectTally } from './tally.js';
import { COMPONENT_PREFERENCE, type ScanCounts } from './scan-counts.js';

export interface HotOptions {
  /** An object is hot from this many writes per minute on. */
  threshold?: number;
  /** ... and only when that is at least this many times the typical writer's rate. */
  farAboveFactor?: number;
}

export const DEFAULT_THRESHOLD = LOG_LOOP_RULE.minWritesPerMinute;
export const DEFAULT_FAR_ABOVE_FACTOR = LOG_LOOP_RULE.farAboveFactor;

/**
 * One request leaves lines of several kinds when several are on (audit, httplog, satisfied-by):
 * counting one signal counts each request once. The signal that counted the most requests is the
 * most complete (an audit policy may leave resources out, a log may start at a higher verbosity
 * halfway); on a tie audit wins over httplog over satisfied-by.
 */
export function chooseChannel(counts: ScanCounts): { signal: Signal | null; channel: ChannelTally | null } {
  const candidates: [Signal, ChannelTally | null][] = [
    ['audit', counts.audit],
    ['httplog', counts.httplog],
    ['satisfied-by', chooseHandlerComponent(counts.handlers)],
  ];
  let chosen: { signal: Signal | null; channel: ChannelTally | null } = { signal: null, channel: null };
  for (const [signal, channel] of candidates) {
    if (channel && channel.requests > 0 && channel.requests > (chosen.channel?.requests ?? 0)) {
      chosen = { signal, channel };
    }
  }
  return chosen;
}

/**
 * Every request passes kube-aggregator first, then kube-apiserver, then (custom resources)
 * apiextensions-apiserver, each logging a handler.go line. The component with the most handler
 * lines saw the most requests; on a tie the one nearer the front door wins.
 */
export function chooseHandlerComponent(handlers: Map<string, ChannelTally>): ChannelTally | null {
  let best: { name: string; channel: ChannelTally } | null = null;
  const rank = (name: string): number => {
    const i = COMPONENT_PREFERENCE.indexOf(name);
    return i < 0 ? COMPONENT_PREFERENCE.length : i;
  };
  for (const [name, channel] of handlers) {
    if (channel.requests === 0) continue;
    if (
      best === null ||
      channel.requests > best.channel.requests ||
      (channel.requests === best.channel.requests && rank(name) < rank(best.name))
    ) {
      best = { name, channel };
    }
  }
  return best?.channel ?? null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function toActivity(tally: ObjectTally): ObjectActivity {
  const verbs: Record<string, number> = {};
  let writes = 0;
  let reads = 0;
  tally.verbs.forEach((count, i) => {
    if (!count) return;
    verbs[VERBS[i]!] = count;
    if (isWriteVerb(i)) writes += count;
    else reads += count;
  });
  return {
    key: tally.key,
    ref: { ...tally.ref },
    verbs,
    writes,
    reads,
    firstSeen: iso(tally.firstMs),
    lastSeen: iso(tally.lastMs),
    perMinute: tally.perMinute ? Array.from(tally.perMinute.subarray(0, tally.minutes)) : [],
    perMinuteStart: tally.perMinute ? iso(tally.minuteStart * 60_000) : null,
  };
}

/**
 * The object's writes over the span the log observed it (diagnosis/observed-rate.ts): its first to
 * its last request when they are enough to measure, else the log's window, at most a minute.
 */
export function writeRate(
  tally: ObjectTally,
  window: { startMs: number; endMs: number } = { startMs: tally.firstMs, endMs: tally.lastMs },
): ObservedRate {
  const writes = writeCount(tally);
  if (writes === 0) return { writesPerMinute: 0, observedSeconds: 0, lowerBound: false };
  return observedRate({
    writes,
    firstMs: tally.firstMs,
    lastMs: tally.lastMs,
    windowStartMs: window.startMs,
    windowEndMs: window.endMs,
  });
}

export function summarize(counts: ScanCounts, options: HotOptions = {}): ActivitySummary {
  const rule: LoopRuleSettings = {
    ...LOG_LOOP_RULE,
    minWritesPerMinute: options.threshold ?? LOG_LOOP_RULE.minWritesPerMinute,
    farAboveFactor: options.farAboveFactor ?? LOG_LOOP_RULE.farAboveFactor,
  };
  const { signal, channel } = chooseChannel(counts);
  let windowStart = Infinity;
  let windowEnd = -Infinity;
  for (const tally of channel?.objects.values() ?? []) {
    windowStart = Math.min(windowStart, tally.firstMs);
    windowEnd = Math.max(windowEnd, tally.lastMs);
  }
  const rates: {
    tally: ObjectTally;
    rate: number;
    seconds: number;
    lowerBound: boolean;
    writes: number;
  }[] = [];
  for (const tally of channel?.objects.values() ?? []) {
    const observed = writeRate(tally, { startMs: windowStart, endMs: windowEnd });
    if (observed.writesPerMinute > 0)
      rates.push({
        tally,
        rate: observed.writesPerMinute,
        seconds: observed.observedSeconds,
        lowerBound: observed.lowerBound,
        writes: writeCount(tally),
      });
  }
  const typical = typicalRate(
    rates.map((r) => r.rate),
    rule,
  );
  const hot: HotObject[] = rates
    .filter((r) => isLooping({ writes: r.writes, writesPerMinute: r.rate }, typical, rule))
    .sort((a, b) => b.rate - a.rate || a.tally.key.localeCompare(b.tally.key))
    .map((r, i) => {
      const activity = toActivity(r.tally);
      const isRancherNode =
        r.tally.ref.group === 'management.cattle.io' &&
        r.tally.ref.resource === 'nodes' &&
        r.tally.ref.namespace !== null &&
        r.tally.ref.name !== '';
      return {
        ...activity,
        rank: i + 1,
        writesPerMinute: Math.round(r.rate * 100) / 100,
        observedSeconds: Math.round(r.seconds),
        ...(r.lowerBound ? { lowerBound: true as const } : {}),
        rancherNode: isRancherNode ? { clusterId: r.tally.ref.namespace!, nodeId: r.tally.ref.name } : null,
      };
    });
  return {
    signal,
    signalsSeen: { ...counts.signalsSeen },
    formats: { ...counts.formats },
    bytesRead: counts.bytesRead,
    linesRead: counts.linesRead,
    linesSkipped: counts.linesSkipped,
    requestsCounted: channel ? sumRequests(channel) : 0,
    distinctObjects: channel?.objects.size ?? 0,
    windowStart: Number.isFinite(windowStart) ? iso(windowStart) : null,
    windowEnd: Number.isFinite(windowEnd) ? iso(windowEnd) : null,
    hot,
  };
}

function writeCount(tally: ObjectTally): number {
  // A loop, not forEach: this runs once per object of the log, at the end of a scan, cold.
  const verbs = tally.verbs;
  let writes = 0;
  for (let verb = 0; verb < verbs.length; verb++) if (isWriteVerb(verb)) writes += verbs[verb]!;
  return writes;
}

function sumRequests(channel: ChannelTally): number {
  let total = 0;
  for (const tally of channel.objects.values()) {
    const verbs = tally.verbs;
    for (let i = 0; i < verbs.length; i++) total += verbs[i]!;
  }
  return total;
}
