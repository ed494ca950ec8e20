/**
 * Per object: verbs, writes apart from reads, a subresource apart from its object, first and last
 * seen, per-minute write counts; hot objects over the threshold, ranked, with the Rancher node key.
 */
import { describe, expect, test } from '@jest/globals';
import { HOT_NODE, handlerText, lines, objectOf, objectsOf, scan, wrap, HOT_NODE_REF } from './helpers.js';
import type { ScanOptions } from '../../src/diagnosis/logscan/index.js';

const M0 = Date.parse('2022-05-07T08:20:00Z');
const MINUTE = 60_000;

interface Timed {
  ms: number;
  text: string;
}

/** `perMinute` requests a minute, evenly spread, for `minutes` minutes from M0 + offset minutes. */
function traffic(path: string, verb: string, perMinute: number, minutes: number, offset = 0): Timed[] {
  const out: Timed[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let k = 0; k < perMinute; k++) {
      const ms = M0 + (offset + m) * MINUTE + Math.floor((k * MINUTE) / perMinute);
      out.push({ ms, text: handlerText(ms, 'kube-aggregator', verb, path) });
    }
  }
  return out;
}

/** Sorted by time and written as an RKE1 Docker json-file log. */
function logOf(...parts: Timed[][]): string {
  const all = parts.flat().sort((a, b) => a.ms - b.ms);
  return lines(...all.map((t) => wrap(t.text, 'docker-json', t.ms)));
}

const CM = '/api/v1/namespaces/cattle-system/configmaps/loop-cm';
const OTHER_NODE = '/apis/management.cattle.io/v3/namespaces/c-xyz12/nodes/machine-zzzzz';
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';
const HEALTHY_NODE = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-abcde';

describe('per-object counts', () => {
  test('verbs, writes and reads, first and last seen, per-minute writes', () => {
    const input = logOf(
      traffic(HOT_NODE, 'PUT', 3, 2), // minutes 0-1
      traffic(HOT_NODE, 'PATCH', 1, 1, 4), // minute 4
      traffic(HOT_NODE, 'GET', 2, 1, 6), // minute 6: reads after the last write
      traffic(HOT_NODE, 'DELETE', 1, 1, 5),
      traffic('/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes', 'POST', 1, 1, 1),
    );
    const { summary, counts } = scan(input);
    expect(summary).toMatchObject({
      requestsCounted: 11,
      distinctObjects: 2,
      windowStart: '2022-05-07T08:20:00.000Z',
      windowEnd: '2022-05-07T08:26:30.000Z',
    });
    expect(objectOf(counts, HOT_NODE)).toEqual({
      key: HOT_NODE,
      ref: HOT_NODE_REF,
      verbs: { PUT: 6, PATCH: 1, DELETE: 1, GET: 2 },
      writes: 8,
      reads: 2,
      firstSeen: '2022-05-07T08:20:00.000Z',
      lastSeen: '2022-05-07T08:26:30.000Z',
      // Writes only; minutes without a write are zeros; the reads of minute 6 are not in it.
      perMinute: [3, 3, 0, 0, 1, 1],
      perMinuteStart: '2022-05-07T08:20:00.000Z',
    });
    expect(objectOf(counts, '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes')).toMatchObject({
      ref: { name: '', namespace: 'c-dql6k', resource: 'nodes' },
      verbs: { POST: 1 },
      writes: 1,
      reads: 0,
      perMinute: [1],
      perMinuteStart: '2022-05-07T08:21:00.000Z',
    });
  });

  test('a read-only object has no per-minute buckets', () => {
    const { counts } = scan(logOf(traffic(LEASE, 'GET', 4, 2)));
    expect(objectOf(counts, LEASE)).toMatchObject({
      verbs: { GET: 8 },
      writes: 0,
      reads: 8,
      perMinute: [],
      perMinuteStart: null,
      firstSeen: '2022-05-07T08:20:00.000Z',
      lastSeen: '2022-05-07T08:21:45.000Z',
    });
  });

  test('the /status subresource is kept apart from the object', () => {
    const { summary, counts } = scan(
      logOf(traffic(HOT_NODE, 'PUT', 2, 1), traffic(`${HOT_NODE}/status`, 'PATCH', 5, 1)),
    );
    expect(summary.distinctObjects).toBe(2);
    expect(objectOf(counts, HOT_NODE)).toMatchObject({ verbs: { PUT: 2 }, perMinute: [2] });
    expect(objectOf(counts, `${HOT_NODE}/status`)).toMatchObject({
      ref: {
        group: 'management.cattle.io',
        version: 'v3',
        resource: 'nodes',
        namespace: 'c-dql6k',
        name: 'machine-h46dc',
        subresource: 'status',
      },
      verbs: { PATCH: 5 },
      perMinute: [5],
    });
  });

  test('cluster-scoped and core objects get their refs', () => {
    const { counts } = scan(
      logOf(
        traffic('/apis/management.cattle.io/v3/clusters/c-dql6k', 'PUT', 1, 1),
        traffic('/api/v1/nodes/worker-1/status', 'PATCH', 1, 1),
      ),
    );
    expect([...objectsOf(counts).values()].map((a) => a.ref)).toEqual([
      {
        group: 'management.cattle.io',
        version: 'v3',
        resource: 'clusters',
        namespace: null,
        name: 'c-dql6k',
        subresource: null,
      },
      {
        group: '',
        version: 'v1',
        resource: 'nodes',
        namespace: null,
        name: 'worker-1',
        subresource: 'status',
      },
    ]);
  });

  test('past maxMinutes the per-minute buckets keep the latest minutes; verb counts keep every request', () => {
    const { counts } = scan(logOf(traffic(HOT_NODE, 'PUT', 2, 3), traffic(HOT_NODE, 'PUT', 7, 2, 3)), {
      maxMinutes: 3,
    });
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      verbs: { PUT: 20 },
      writes: 20,
      perMinute: [2, 7, 7],
      perMinuteStart: '2022-05-07T08:22:00.000Z',
      firstSeen: '2022-05-07T08:20:00.000Z',
    });
  });
});

describe('hot objects', () => {
  // Rates in writes per minute, five minutes each.
  const background = [
    traffic(LEASE, 'PUT', 30, 5), // leader election, healthy
    traffic(HEALTHY_NODE, 'PUT', 2, 5), // a healthy Rancher node
    traffic(`${HOT_NODE}/status`, 'PATCH', 10, 5),
    traffic(HOT_NODE, 'GET', 1, 5),
  ];
  const looping = [
    traffic(CM, 'PUT', 200, 5),
    traffic(HOT_NODE, 'PUT', 120, 5),
    traffic(OTHER_NODE, 'PATCH', 90, 5),
  ];

  test('ranked by writes per minute, with the Rancher node of nodes.management.cattle.io objects', () => {
    const { summary } = scan(logOf(...background, ...looping));
    expect(summary.distinctObjects).toBe(6);
    expect(summary.hot.map((h) => [h.rank, h.key, h.writesPerMinute, h.rancherNode])).toEqual([
      [1, CM, 200, null],
      [2, HOT_NODE, 120, { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' }],
      [3, OTHER_NODE, 90, { clusterId: 'c-xyz12', nodeId: 'machine-zzzzz' }],
    ]);
    expect(summary.hot[1]).toEqual({
      key: HOT_NODE,
      ref: HOT_NODE_REF,
      verbs: { PUT: 600, GET: 5 },
      writes: 600,
      reads: 5,
      firstSeen: '2022-05-07T08:20:00.000Z',
      lastSeen: '2022-05-07T08:24:59.500Z',
      perMinute: [120, 120, 120, 120, 120],
      perMinuteStart: '2022-05-07T08:20:00.000Z',
      rank: 2,
      writesPerMinute: 120,
      observedSeconds: 300,
      rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
    });
  });

  test('the threshold is configurable', () => {
    const input = logOf(...background, ...looping);
    // Below 100: 90, 30, 10, 2; median 20, times 5 is 100.
    expect(scan(input, { threshold: 100 }).summary.hot.map((h) => h.key)).toEqual([CM, HOT_NODE]);
    expect(scan(input, { threshold: 150 }).summary.hot.map((h) => h.key)).toEqual([CM]);
    expect(scan(input, { threshold: 201 }).summary.hot).toEqual([]);
    expect(
      scan(input, { threshold: 5, farAboveFactor: 1 } satisfies ScanOptions).summary.hot.map((h) => [
        h.key,
        h.writesPerMinute,
      ]),
    ).toEqual([
      [CM, 200],
      [HOT_NODE, 120],
      [OTHER_NODE, 90],
      [LEASE, 30],
      [`${HOT_NODE}/status`, 10],
    ]);
  });

  test('hot means far above the rest: on a busy cluster a rate over the threshold alone is not enough', () => {
    const busy = [40, 41, 42, 43, 44].map((rate, i) => traffic(`${LEASE}-${i}`, 'PUT', rate, 5));
    // Below 60: 40..44 and 30, 10, 2: median 40.5, times 5 is 202.5: the 200/min object is not hot.
    const { summary } = scan(logOf(...background, ...looping, ...busy));
    expect(summary.hot).toEqual([]);
    const { summary: loud } = scan(logOf(...background, ...busy, traffic(HOT_NODE, 'PUT', 300, 5)));
    expect(loud.hot.map((h) => [h.key, h.writesPerMinute])).toEqual([[HOT_NODE, 300]]);
  });

  test('objects written equally often are ranked by key, A to Z', () => {
    const { summary } = scan(logOf(traffic(OTHER_NODE, 'PUT', 120, 5), traffic(HOT_NODE, 'PUT', 120, 5)));
    expect(summary.hot.map((h) => [h.rank, h.key])).toEqual([
      [1, HOT_NODE],
      [2, OTHER_NODE],
    ]);
  });

  test('the write rate is over the span from first to last write', () => {
    // 60 writes in minute 0 and 60 in minute 3, the last at 3:59: 119 intervals over 239 s.
    const { summary, counts } = scan(
      logOf(traffic(HOT_NODE, 'PUT', 60, 1), traffic(HOT_NODE, 'PUT', 60, 1, 3)),
      { threshold: 25 },
    );
    expect(objectOf(counts, HOT_NODE).perMinute).toEqual([60, 0, 0, 60]);
    expect(summary.hot.map((h) => [h.writesPerMinute, h.observedSeconds])).toEqual([[29.87, 239]]);
    expect(
      scan(logOf(traffic(HOT_NODE, 'PUT', 60, 1), traffic(HOT_NODE, 'PUT', 60, 1, 3))).summary.hot,
    ).toEqual([]);
  });

  test('a short log is rated over the span it holds, not over the calendar minutes it touches', () => {
    // 120 writes a minute for 20 s, from 0:50 to 1:10: two calendar minutes, a third of one observed.
    const short = traffic(HOT_NODE, 'PUT', 120, 2).filter((t) => t.ms >= M0 + 50_000 && t.ms < M0 + 70_000);
    const { summary } = scan(logOf(short));
    expect(summary.hot.map((h) => [h.writesPerMinute, h.observedSeconds])).toEqual([[120, 20]]);
  });

  test('a burst is spread over a minute of the window: ten writes in a second of a long log are no loop', () => {
    const burst = traffic(HOT_NODE, 'PUT', 600, 1).slice(0, 10);
    const { summary } = scan(logOf(...background, burst));
    expect(summary.hot).toEqual([]);
  });

  test('a healthy log has no hot object', () => {
    const { summary } = scan(logOf(...background));
    expect(summary.hot).toEqual([]);
    expect(summary.requestsCounted).toBe(150 + 10 + 50 + 5);
  });
});
