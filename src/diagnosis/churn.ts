import { CHURN_LOOP_RULE, isLooping, typicalRate } from './loop-rule.js';
import type { ActivitySummary, HotObject, ObjectActivity } from './types.js';

/**
 * Counts updates per nodes.management.cattle.io object seen on a watch, and summarises them in
 * the same shape as the log scanner's output, with signal 'churn'. Works when the apiserver logs
 * say nothing (default verbosity, k3s).
 */

export interface ChurnCounter {
  /** One MODIFIED event of a node object; `at` is when it was seen. */
  modified(namespace: string, name: string, at: Date): void;
  summary(windowStart: Date, windowEnd: Date): ActivitySummary;
}

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

export function createChurnCounter(): ChurnCounter {
  const tallies = new Map<string, Tally>();
  let events = 0;
  return {
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
    summary(windowStart, windowEnd) {
      const minutes = Math.max((windowEnd.getTime() - windowStart.getTime()) / 60_000, 1 / 60);
      const startMinute = Math.floor(windowStart.getTime() / 60_000);
      const endMinute = Math.floor(windowEnd.getTime() / 60_000);
      const activities: (ObjectActivity & { rate: number; namespace: string; name: string })[] = [];
      for (const [key, tally] of tallies) {
        const perMinute: number[] = [];
        for (let m = startMinute; m <= endMinute; m++) perMinute.push(tally.perMinute.get(m) ?? 0);
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
          rate: tally.count / minutes,
        });
      }
      activities.sort((a, b) => b.writes - a.writes || a.key.localeCompare(b.key));
      const typical = typicalRate(
        activities.map((a) => a.rate),
        CHURN_LOOP_RULE,
      );
      const hot: HotObject[] = activities
        .filter((a) => isLooping({ writes: a.writes, writesPerMinute: a.rate }, typical, CHURN_LOOP_RULE))
        .map(({ rate, namespace, name, ...activity }, i) => ({
          ...activity,
          rank: i + 1,
          writesPerMinute: Math.round(rate * 10) / 10,
          rancherNode: { clusterId: namespace, nodeId: name },
        }));
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
