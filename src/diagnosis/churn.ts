import { CHURN_LOOP_RULE, EARLY_END_RULE, isConclusive, isLooping, typicalRate } from './loop-rule.js';
import type { EarlyEndRule } from './loop-rule.js';
import { observedRate } from './observed-rate.js';
import type { ActivitySummary, FieldChanges, HotObject, ObjectActivity, WatchEnd } from './types.js';

/**
 * Counts updates per nodes.management.cattle.io object seen on a watch, and summarises them in
 * the same shape as the log scanner's output, with signal 'churn'. Works when the apiserver logs
 * say nothing (default verbosity, k3s).
 */

export interface ChurnCounter {
  /** One MODIFIED event of a node object; `at` is when it was seen. */
  modified(namespace: string, name: string, at: Date): void;
  /**
   * Whether the writes of this object seen so far settle that it loops (EarlyEndRule): what it
   * showed, else null. Asked after each of its updates; the others' rates are read at most once a
   * second for it.
   */
  conclusive(namespace: string, name: string, windowStart: Date, now: Date): ConclusiveObject | null;
  /** `fieldChanges` adds what the writes of a hot object changed, where that is known. */
  summary(
    windowStart: Date,
    windowEnd: Date,
    fieldChanges?: (key: string) => FieldChanges | null,
  ): ActivitySummary;
}

export type ConclusiveObject = NonNullable<WatchEnd['object']>;

interface Tally {
  namespace: string;
  name: string;
  count: number;
  first: number;
  last: number;
  perMinute: Map<number, number>;
}

export function nodeObjectKey(namespace: string, name: string): string {
  return `/apis/management.cattle.io/v3/namespaces/${namespace}/nodes/${name}`;
}

export function createChurnCounter(early: EarlyEndRule = EARLY_END_RULE): ChurnCounter {
  const tallies = new Map<string, Tally>();
  let events = 0;
  let typical: { at: number; perMinute: number } | null = null;
  const rateOf = (tally: Tally, startMs: number, endMs: number) =>
    observedRate({
      writes: tally.count,
      firstMs: tally.first,
      lastMs: tally.last,
      windowStartMs: startMs,
      windowEndMs: endMs,
    });
  return {
    conclusive(namespace, name, windowStart, now) {
      const tally = tallies.get(nodeObjectKey(namespace, name));
      if (!tally) return null;
      const seconds = (tally.last - tally.first) / 1000;
      const candidate = { writes: tally.count, seconds };
      // Cheap test first, against no typical writer: the others' rates only when it passes.
      if (!isConclusive(candidate, 0, CHURN_LOOP_RULE, early)) return null;
      const nowMs = now.getTime();
      if (!typical || nowMs - typical.at >= 1000) {
        const rates = [...tallies.values()].map(
          (t) => rateOf(t, windowStart.getTime(), nowMs).writesPerMinute,
        );
        typical = { at: nowMs, perMinute: typicalRate(rates, CHURN_LOOP_RULE) };
      }
      if (!isConclusive(candidate, typical.perMinute, CHURN_LOOP_RULE, early)) return null;
      return {
        key: nodeObjectKey(namespace, name),
        writes: tally.count,
        seconds: Math.round(seconds),
        writesPerMinute: Math.round((((tally.count - 1) * 60) / seconds) * 10) / 10,
      };
    },
    modified(namespace, name, at) {
      events++;
      const key = nodeObjectKey(namespace, name);
      const t = at.getTime();
      let tally = tallies.get(key);
      if (!tally) {
        tally = { namespace, name, count: 0, first: t, last: t, perMinute: new Map() };
        tallies.set(key, tally);
      }
      tally.count++;
      tally.last = Math.max(tally.last, t);
      tally.first = Math.min(tally.first, t);
      const minute = Math.floor(t / 60_000);
      tally.perMinute.set(minute, (tally.perMinute.get(minute) ?? 0) + 1);
    },
    summary(windowStart, windowEnd, fieldChanges) {
      const startMinute = Math.floor(windowStart.getTime() / 60_000);
      const endMinute = Math.floor(windowEnd.getTime() / 60_000);
      const activities: (ObjectActivity & {
        rate: number;
        seconds: number;
        lowerBound: boolean;
        namespace: string;
        name: string;
      })[] = [];
      for (const [key, tally] of tallies) {
        const perMinute: number[] = [];
        for (let m = startMinute; m <= endMinute; m++) perMinute.push(tally.perMinute.get(m) ?? 0);
        const observed = rateOf(tally, windowStart.getTime(), windowEnd.getTime());
        activities.push({
          key,
          namespace: tally.namespace,
          name: tally.name,
          ref: {
            group: 'management.cattle.io',
            version: 'v3',
            resource: 'nodes',
            namespace: tally.namespace,
            name: tally.name,
            subresource: null,
          },
          // A watch shows that an object changed, not which verb changed it.
          verbs: { MODIFIED: tally.count },
          writes: tally.count,
          reads: 0,
          firstSeen: new Date(tally.first).toISOString(),
          lastSeen: new Date(tally.last).toISOString(),
          perMinute,
          perMinuteStart: new Date(startMinute * 60_000).toISOString(),
          rate: observed.writesPerMinute,
          seconds: observed.observedSeconds,
          lowerBound: observed.lowerBound,
        });
      }
      activities.sort((a, b) => b.writes - a.writes || a.key.localeCompare(b.key));
      const typical = typicalRate(
        activities.map((a) => a.rate),
        CHURN_LOOP_RULE,
      );
      const hot: HotObject[] = activities
        .filter((a) => isLooping({ writes: a.writes, writesPerMinute: a.rate }, typical, CHURN_LOOP_RULE))
        .map(({ rate, seconds, lowerBound, namespace, name, ...activity }, i) => {
          const changes = fieldChanges?.(activity.key) ?? null;
          return {
            ...activity,
            rank: i + 1,
            writesPerMinute: Math.round(rate * 10) / 10,
            observedSeconds: Math.round(seconds),
            ...(lowerBound ? { lowerBound: true as const } : {}),
            rancherNode: { clusterId: namespace, nodeId: name },
            ...(changes ? { fieldChanges: changes } : {}),
          };
        });
      return {
        signal: events > 0 ? 'churn' : null,
        signalsSeen: events > 0 ? { churn: events } : {},
        formats: {},
        bytesRead: 0,
        linesRead: 0,
        linesSkipped: 0,
        requestsCounted: events,
        distinctObjects: tallies.size,
        windowStart: windowStart.toISOString(),
        windowEnd: windowEnd.toISOString(),
        hot,
      };
    },
  };
}
