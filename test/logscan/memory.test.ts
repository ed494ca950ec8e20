/**
 * Constant memory, as a property of the design: what the scanner keeps grows with the number of
 * distinct objects, never with the number of lines. Checked on the retained structures themselves
 * (objects, per-minute buckets, the path cache, carried bytes, CRI partials), not on the heap and
 * not on time.
 */
import { describe, expect, test } from '@jest/globals';
import { LogScanner } from '../../src/diagnosis/logscan/index.js';
import { chooseChannel, summarize } from '../../src/diagnosis/logscan/summary.js';
import { HOT_NODE, REF_2022, criPartials, handlerText, wrap } from './helpers.js';

const T0 = Date.parse('2022-05-07T00:00:00Z');
const OBJECTS = [
  HOT_NODE,
  `${HOT_NODE}/status`,
  '/apis/management.cattle.io/v3/namespaces/c-xyz12/nodes/machine-zzzzz',
  '/api/v1/namespaces/cattle-system/configmaps/cattle-controllers',
  '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
];
const MAX_MINUTES = 30;

/** What the scanner holds on to, read through its private fields. */
interface Retained {
  objects: number;
  components: number;
  bucketCapacities: number[];
  bucketsUsed: number[];
  pathCache: number;
  partials: number;
  carried: number;
}

function retained(scanner: LogScanner): Retained {
  const { channel } = chooseChannel(scanner.counts);
  const tallies = [...(channel?.objects.values() ?? [])];
  const internals = scanner as unknown as {
    pathCache: Map<string, unknown>;
    partials: Map<string, unknown>;
    carry: Buffer | null;
  };
  return {
    objects: tallies.length,
    components: scanner.counts.handlers.size,
    bucketCapacities: tallies.map((t) => t.perMinute?.length ?? 0),
    bucketsUsed: tallies.map((t) => t.minutes),
    pathCache: internals.pathCache.size,
    partials: internals.partials.size,
    carried: internals.carry?.length ?? 0,
  };
}

/** Lines `from` to `to` (exclusive): one request a second, round robin over OBJECTS, mixed formats. */
function batch(from: number, to: number): Buffer {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const ms = T0 + i * 1000;
    // A query unique to each request: the path cache is keyed by the path without it.
    const path = `${OBJECTS[i % OBJECTS.length]!}?resourceVersion=${i}&timeout=10s`;
    const text = handlerText(ms, 'kube-aggregator', i % 7 ? 'PUT' : 'GET', path);
    if (i % 10 === 3) out.push(...criPartials(text, ms, [40]));
    else out.push(wrap(text, (['klog', 'cri', 'docker-json'] as const)[i % 3]!, ms));
    if (i % 5 === 0) out.push(`I0507 00:00:00.000001       1 controller.go:611] unrelated message ${i}`);
  }
  return Buffer.from(out.map((l) => `${l}\n`).join(''));
}

describe('retained structures do not grow with lines', () => {
  test('100,000 requests to five objects: five tallies, buckets capped at maxMinutes', () => {
    const scanner = new LogScanner({ referenceMs: REF_2022, maxMinutes: MAX_MINUTES });
    const snapshots: Retained[] = [];
    const step = 10_000;
    for (let from = 0; from < 100_000; from += step) {
      const bytes = batch(from, from + step);
      // Pushed in uneven pieces, so that lines are carried across pushes.
      for (let at = 0; at < bytes.length; at += 65_521) scanner.push(bytes.subarray(at, at + 65_521));
      snapshots.push(retained(scanner));
    }
    scanner.end();
    expect(scanner.counts.linesRead).toBe(100_000 + 10_000 + 20_000);

    const steady: Retained = {
      objects: 5,
      components: 1,
      bucketCapacities: [MAX_MINUTES, MAX_MINUTES, MAX_MINUTES, MAX_MINUTES, MAX_MINUTES],
      bucketsUsed: [MAX_MINUTES, MAX_MINUTES, MAX_MINUTES, MAX_MINUTES, MAX_MINUTES],
      pathCache: 5,
      partials: 0,
      carried: 0,
    };
    // 10,000 seconds is 166 minutes: from the first snapshot on, every window is full.
    for (const snapshot of snapshots) expect(snapshot).toEqual(steady);

    // Totals stay exact although the buckets keep only the latest 30 minutes.
    const summary = summarize(scanner.counts, { threshold: 1, farAboveFactor: 1 });
    expect(summary).toMatchObject({
      requestsCounted: 100_000,
      distinctObjects: 5,
      linesSkipped: 20_000,
      windowStart: '2022-05-07T00:00:00.000Z',
      windowEnd: '2022-05-08T03:46:39.000Z',
    });
    const hot = summary.hot.find((h) => h.key === HOT_NODE)!;
    expect(hot.writes + hot.reads).toBe(20_000);
    expect(hot.perMinute).toHaveLength(MAX_MINUTES);
    expect(hot.perMinuteStart).toBe('2022-05-08T03:17:00.000Z');
  });

  test('a line with no end is not held: carried bytes stay under maxLineBytes', () => {
    const maxLineBytes = 64 * 1024;
    const scanner = new LogScanner({ referenceMs: REF_2022, maxLineBytes });
    const piece = Buffer.alloc(1 << 20, 0x41);
    const carried: number[] = [];
    for (let i = 0; i < 32; i++) {
      scanner.push(piece);
      carried.push(retained(scanner).carried);
    }
    expect(carried.every((n) => n <= maxLineBytes)).toBe(true);
    expect(carried.slice(1)).toEqual(new Array(31).fill(0));
    scanner.push(Buffer.from(`\n${handlerText(T0, 'kube-aggregator', 'PUT', HOT_NODE)}\n`));
    scanner.end();
    expect(scanner.counts).toMatchObject({ linesRead: 2, linesSkipped: 1 });
    expect(summarize(scanner.counts).requestsCounted).toBe(1);
  });

  test('CRI partials that never end are given up past maxLineBytes', () => {
    const maxLineBytes = 4096;
    const scanner = new LogScanner({ referenceMs: REF_2022, maxLineBytes });
    const partial = Buffer.from(`2022-05-07T00:00:00.000000000Z stderr P ${'z'.repeat(1000)}\n`);
    const held: number[] = [];
    for (let i = 0; i < 1000; i++) {
      scanner.push(partial);
      const pending = (scanner as unknown as { partials: Map<string, { bytes: number }> }).partials;
      held.push(pending.get('stderr')?.bytes ?? 0);
    }
    expect(Math.max(...held)).toBeLessThanOrEqual(maxLineBytes);
    scanner.end();
    expect(scanner.counts).toMatchObject({ linesRead: 1000, linesSkipped: 1000 });
  });
});
