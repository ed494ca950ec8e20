/**
 * Time: the wrapper's time stamp where there is one, else the klog header (no year: the reference
 * instant decides it); the turn of a day and of a year; --since.
 */
import { describe, expect, test } from '@jest/globals';
import { HOT_NODE, handlerText, lines, objectOf, scan, wrap } from './helpers.js';

const put = (ms: number): string => handlerText(ms, 'kube-aggregator', 'PUT', HOT_NODE);

describe('time from the wrapper', () => {
  test('Docker json-file: the time field, not the klog header', () => {
    const header = Date.parse('2021-01-01T00:00:00Z');
    const line = JSON.stringify({
      log: `${put(header)}\n`,
      stream: 'stderr',
      time: '2022-05-07T08:24:37.495902397Z',
    });
    const { counts } = scan(lines(line));
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-05-07T08:24:37.495Z',
      lastSeen: '2022-05-07T08:24:37.495Z',
      perMinuteStart: '2022-05-07T08:24:00.000Z',
    });
  });

  test('CRI: the leading time stamp, in UTC or with an offset', () => {
    const header = Date.parse('2021-01-01T00:00:00Z');
    const { counts } = scan(
      lines(
        `2022-05-07T08:24:37.495902397Z stderr F ${put(header)}`,
        `2022-05-07T10:26:00.000000001+02:00 stderr F ${put(header)}`,
        `2022-05-07T03:27:10.5-05:00 stderr F ${put(header)}`,
      ),
    );
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-05-07T08:24:37.495Z',
      lastSeen: '2022-05-07T08:27:10.500Z',
      perMinute: [1, 0, 1, 1],
      perMinuteStart: '2022-05-07T08:24:00.000Z',
    });
  });

  test('a CRI message split in partials takes the time of its first part', () => {
    const text = put(Date.parse('2021-01-01T00:00:00Z'));
    const { counts } = scan(
      lines(
        `2022-05-07T08:24:59.900000000Z stderr P ${text.slice(0, 40)}`,
        `2022-05-07T08:25:00.100000000Z stderr F ${text.slice(40)}`,
      ),
    );
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-05-07T08:24:59.900Z',
      perMinuteStart: '2022-05-07T08:24:00.000Z',
    });
  });

  test('a wrapper with a time stamp that is no time stamp makes the line skipped', () => {
    const { summary } = scan(
      lines(
        JSON.stringify({ log: `${put(0)}\n`, stream: 'stderr', time: 'yesterday' }),
        `2022-13-07T08:24:37.495902397Z stderr F ${put(0)}`,
        `2022-05-07T08:24:37.495902397 stderr F ${put(0)}`,
      ),
    );
    expect(summary).toMatchObject({ linesRead: 3, linesSkipped: 3, requestsCounted: 0 });
  });
});

describe('time from the klog header (no year)', () => {
  test('the year is the reference instant’s', () => {
    const { counts } = scan(lines(put(Date.parse('2022-05-07T08:24:37.493Z'))), {
      referenceMs: Date.parse('2022-11-30T12:00:00Z'),
    });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.493Z');
  });

  test('a date later in the year than the reference instant is last year’s', () => {
    const { counts } = scan(lines(put(Date.parse('2022-05-07T08:24:37.493Z'))), {
      referenceMs: Date.parse('2023-02-01T00:00:00Z'),
    });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.493Z');
  });

  test('up to a day of clock skew past the reference instant stays in its year', () => {
    const { counts } = scan(lines(put(Date.parse('2022-05-07T20:00:00.000Z'))), {
      referenceMs: Date.parse('2022-05-07T08:00:00Z'),
    });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T20:00:00.000Z');
  });

  test('across midnight: first and last seen, per-minute buckets run on', () => {
    const times = [
      '2022-05-07T23:58:10Z',
      '2022-05-07T23:59:05Z',
      '2022-05-07T23:59:55Z',
      '2022-05-08T00:00:00Z',
      '2022-05-08T00:00:30Z',
      '2022-05-08T00:01:59.999Z',
    ].map(Date.parse);
    const { summary, counts } = scan(lines(...times.map(put)));
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      verbs: { PUT: 6 },
      firstSeen: '2022-05-07T23:58:10.000Z',
      lastSeen: '2022-05-08T00:01:59.999Z',
      perMinute: [1, 2, 2, 1],
      perMinuteStart: '2022-05-07T23:58:00.000Z',
    });
    expect([summary.windowStart, summary.windowEnd]).toEqual([
      '2022-05-07T23:58:10.000Z',
      '2022-05-08T00:01:59.999Z',
    ]);
  });

  test('across New Year: December in the earlier year, January in the later', () => {
    const times = [
      '2022-12-31T23:58:30Z',
      '2022-12-31T23:59:59.999Z',
      '2023-01-01T00:00:00Z',
      '2023-01-01T00:00:01Z',
      '2023-01-01T00:01:00Z',
    ].map(Date.parse);
    const input = lines(...times.map(put));
    const early = scan(input, { referenceMs: Date.parse('2023-01-01T00:05:00Z') });
    expect(objectOf(early.counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-12-31T23:58:30.000Z',
      lastSeen: '2023-01-01T00:01:00.000Z',
      perMinute: [1, 1, 2, 1],
      perMinuteStart: '2022-12-31T23:58:00.000Z',
    });
    // Scanned months later: the same years.
    const later = scan(input, { referenceMs: Date.parse('2023-08-15T00:00:00Z') });
    expect(objectOf(later.counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-12-31T23:58:30.000Z',
      lastSeen: '2023-01-01T00:01:00.000Z',
    });
    // The reference instant decides the year: a year on, the same lines are a year later.
    const nextYear = scan(input, { referenceMs: Date.parse('2024-01-01T00:05:00Z') });
    expect(objectOf(nextYear.counts, HOT_NODE)).toMatchObject({
      firstSeen: '2023-12-31T23:58:30.000Z',
      lastSeen: '2024-01-01T00:01:00.000Z',
      perMinute: [1, 1, 2, 1],
      perMinuteStart: '2023-12-31T23:58:00.000Z',
    });
  });

  test('29 February goes to the last leap year before the reference instant', () => {
    const { counts } = scan(lines(put(Date.parse('2024-02-29T12:00:00Z'))), {
      referenceMs: Date.parse('2025-03-01T00:00:00Z'),
    });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2024-02-29T12:00:00.000Z');
    const later = scan(lines(put(Date.parse('2024-02-29T12:00:00Z'))), {
      referenceMs: Date.parse('2026-12-01T00:00:00Z'),
    });
    expect(objectOf(later.counts, HOT_NODE).firstSeen).toBe('2024-02-29T12:00:00.000Z');
    const leap = scan(lines(put(Date.parse('2024-02-29T12:00:00Z'))), {
      referenceMs: Date.parse('2024-02-29T13:00:00Z'),
    });
    expect(objectOf(leap.counts, HOT_NODE).firstSeen).toBe('2024-02-29T12:00:00.000Z');
  });

  test('a day the month does not have is no klog header', () => {
    const line = (mmdd: string): string =>
      `I${mmdd} 08:24:37.000001 1 handler.go:153] kube-aggregator: PUT "${HOT_NODE}" satisfied by x`;
    const { summary } = scan(lines(line('0431'), line('0230'), line('1232'), line('0000'), line('1231')));
    expect(summary).toMatchObject({
      linesRead: 5,
      linesSkipped: 4,
      requestsCounted: 1,
      formats: { klog: 1 },
    });
  });

  test('microseconds are cut to milliseconds', () => {
    const line = `I0507 08:24:37.999999 1 handler.go:153] kube-aggregator: PUT "${HOT_NODE}" satisfied by x`;
    const { counts } = scan(lines(line));
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.999Z');
  });
});

describe('since', () => {
  test('requests before sinceMs are read (not skipped) but not counted', () => {
    const times = [
      '2022-05-07T08:00:00Z',
      '2022-05-07T08:29:59.999Z',
      '2022-05-07T08:30:00Z',
      '2022-05-07T08:31:00Z',
    ];
    const input = lines(
      ...times.map((t) => wrap(put(Date.parse(t)), 'docker-json', Date.parse(t))),
      put(Date.parse('2022-05-07T08:10:00Z')),
    );
    const { summary, counts } = scan(input, { sinceMs: Date.parse('2022-05-07T08:30:00Z') });
    expect(summary).toMatchObject({
      linesRead: 5,
      linesSkipped: 0,
      requestsCounted: 2,
      signalsSeen: { 'satisfied-by': 5 },
    });
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      firstSeen: '2022-05-07T08:30:00.000Z',
      lastSeen: '2022-05-07T08:31:00.000Z',
      perMinute: [1, 1],
    });
  });
});
