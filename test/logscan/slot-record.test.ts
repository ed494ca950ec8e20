/**
 * A scan worker's kernel slot events, recorded (LogScanner recordSlots) and played into another
 * scanner (replaySlots), count exactly what the worker's scanner would have counted itself: every
 * object, verb, time and minute, across the kernel's path-table clears, for components past the
 * kernel's slots, and through postMessage.
 */
import { describe, expect, test } from '@jest/globals';
import {
  LogScanner,
  summarize,
  summarizeCounts,
  type LogScanOptions,
  type SlotRecord,
} from '../../src/diagnosis/logscan/index.js';
import { playRecord, type SlotSink } from '../../src/diagnosis/logscan/slot-record.js';
import { DEFAULT_GEN_OPTIONS, generateApiserverLog } from '../../scripts/gen-apiserver-log.js';
import { REF_2022, handlerText, normalizeCounts, wrap } from './helpers.js';

const T0 = Date.parse('2022-05-07T08:00:00Z');

/** A generated log; slow traffic makes it span more minutes, so that slots hand over minute runs. */
async function generatedLog(
  format: 'docker-json' | 'cri',
  sizeBytes: number,
  seed: number,
  slow = false,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  const rates = slow ? { rate: 3, hot: [{ clusterId: 'c-dql6k', nodeId: 'machine-h46dc', rate: 2 }] } : {};
  // "Satisfied by" lines alone: with the httplog line too, the same bytes span half the minutes,
  // fewer than a slot holds, and no run of minutes would be recorded.
  await generateApiserverLog(
    { ...DEFAULT_GEN_OPTIONS, ...rates, httplog: false, format, sizeBytes, seed, startMs: T0 },
    (chunk) => {
      parts.push(Buffer.from(chunk));
    },
  );
  return Buffer.concat(parts);
}

/** How many events of each kind a record holds, read by playRecord as replaySlots reads it. */
function countEvents(record: SlotRecord): Record<keyof SlotSink, number> {
  const n = { component: 0, slotSeen: 0, minutes: 0, request: 0, take: 0, clear: 0 };
  playRecord(
    record,
    {
      component: () => void n.component++,
      slotSeen: () => void n.slotSeen++,
      minutes: () => void n.minutes++,
      request: () => void n.request++,
      take: () => void n.take++,
      clear: () => void n.clear++,
    },
    -Infinity,
  );
  return n;
}

const log = (lines: string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`);

/** Scans `bytes` in reads of 64 KiB (as files are read), ended. */
function scan(bytes: Buffer, options: LogScanOptions = {}): LogScanner {
  const scanner = new LogScanner({ referenceMs: REF_2022, ...options });
  for (let at = 0; at < bytes.length;) {
    const target = scanner.readBuffer()!;
    const n = Math.min(64 << 10, target.length, bytes.length - at);
    bytes.copy(target, 0, at, at + n);
    scanner.pushRead(n);
    at += n;
  }
  scanner.end();
  return scanner;
}

/** Records a scan's slot events and plays them back into the same scanner. */
function recordAndReplay(
  bytes: Buffer,
  options: LogScanOptions = {},
): { scanner: LogScanner; records: SlotRecord[] } {
  const scanner = scan(bytes, { ...options, recordSlots: true });
  void scanner.counts;
  const { records } = scanner.recordedSlots();
  scanner.replaySlots(records);
  return { scanner, records };
}

describe('kernel slot events recorded and played back', () => {
  test('a generated RKE1 log of half an hour: the same counts as carried in at once', async () => {
    const bytes = await generatedLog('docker-json', 12 << 20, 3, true);
    const { scanner, records } = recordAndReplay(bytes);
    expect(records).toHaveLength(1);
    expect(records[0]!.dirtySlots.length).toBeGreaterThan(100);
    // Writes spanning more minutes than a slot holds: runs of minutes were recorded.
    expect(countEvents(records[0]!).minutes).toBeGreaterThan(100);
    const expected = normalizeCounts(scan(bytes).counts);
    expect(expected.handlers.every(([, channel]) => channel.objects.length > 100)).toBe(true);
    expect(normalizeCounts(scanner.counts)).toEqual(expected);
  });

  test('writes over nine hours, some back in time: runs of minutes recorded, the same counts', () => {
    // More minutes than a slot holds (MINUTES_PER_SLOT), so that each writer hands over runs of
    // minutes as it goes; a write an hour back now and then starts a slot's minutes over.
    const lines: string[] = [];
    for (let minute = 0; minute < 540; minute++) {
      for (let i = 0; i < 12; i++) {
        if ((minute + i) % (1 + (i % 4)) !== 0) continue;
        const back = minute % 97 === 13 && i % 3 === 0 ? 60 : 0;
        const ms = T0 + (minute - back) * 60_000 + i * 1000;
        const path = `/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-${i}`;
        lines.push(wrap(handlerText(ms, 'kube-apiserver', i % 5 ? 'PUT' : 'PATCH', path), 'docker-json', ms));
        lines.push(wrap(handlerText(ms, 'kube-aggregator', 'GET', path), 'docker-json', ms));
      }
    }
    const bytes = log(lines);
    for (const maxMinutes of [1440, 100]) {
      const { scanner, records } = recordAndReplay(bytes, { maxMinutes });
      expect(records.reduce((n, record) => n + countEvents(record).minutes, 0)).toBeGreaterThan(40);
      expect(normalizeCounts(scanner.counts)).toEqual(normalizeCounts(scan(bytes, { maxMinutes }).counts));
    }
  });

  test('a generated RKE2 log with --since: the same counts', async () => {
    const bytes = await generatedLog('cri', 2 << 20, 4);
    const options = { sinceMs: T0 + 60_000 };
    expect(normalizeCounts(recordAndReplay(bytes, options).scanner.counts)).toEqual(
      normalizeCounts(scan(bytes, options).counts),
    );
  });

  test('more paths than the kernel keeps: a record per path-table clear, the same counts', () => {
    const lines: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40_000; i++) {
        const ms = T0 + round * 3_600_000 + i * 80;
        const verb = round === 0 ? 'PUT' : 'GET';
        lines.push(
          wrap(
            handlerText(ms, 'kube-apiserver', verb, `/api/v1/namespaces/n${i % 7}/pods/p-${i}`),
            'docker-json',
            ms,
          ),
        );
      }
    }
    const bytes = log(lines);
    const { scanner, records } = recordAndReplay(bytes);
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(normalizeCounts(scanner.counts)).toEqual(normalizeCounts(scan(bytes).counts));
  });

  test('components past the kernel slots (requests recorded one by one): the same counts', () => {
    const components = ['kube-aggregator', 'kube-apiserver', 'apiextensions-apiserver', 'c4', 'c5', 'c6'];
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const ms = T0 + i * 250;
      const path = `/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-${i % 40}`;
      for (const component of components)
        lines.push(wrap(handlerText(ms, component, 'PUT', path), 'docker-json', ms));
    }
    const bytes = log(lines);
    const { scanner, records } = recordAndReplay(bytes);
    expect(records.reduce((n, record) => n + countEvents(record).request, 0)).toBeGreaterThan(1000);
    const expected = normalizeCounts(scan(bytes).counts);
    expect(expected.handlers).toHaveLength(6);
    expect(normalizeCounts(scanner.counts)).toEqual(expected);
  });

  test('what a recorder holds grows with the events, and is handed over whole', async () => {
    const bytes = await generatedLog('docker-json', 6 << 20, 6, true);
    const scanner = scan(bytes, { recordSlots: true });
    const before = scanner.recordedBytes();
    expect(before).toBeGreaterThan(0);
    void scanner.counts;
    expect(scanner.recordedBytes()).toBeGreaterThan(before);
    const { records, transfer } = scanner.recordedSlots();
    expect(records).toHaveLength(1);
    expect(transfer.length).toBeGreaterThan(0);
    expect(scanner.recordedBytes()).toBe(0);
    expect(scanner.recordedSlots().records).toEqual([]);
    expect(scan(bytes).recordedBytes()).toBe(0);
  });

  test.each([
    ['a -v=5 log', true, null, null, 'httplog'],
    ['a log of satisfied-by lines alone', false, null, null, 'satisfied-by'],
    ['a -v=5 log, no httplog lines in the recorded half', true, null, 'httplog.go', 'satisfied-by'],
    ['a -v=5 log, no httplog lines in the half counted here', true, 'httplog.go', null, 'satisfied-by'],
    ['a -v=5 log, no handler lines in the recorded half', true, null, 'handler.go', 'httplog'],
  ] as const)(
    'records played for the summary alone (replaySlotsForSummary): the summary of a full replay, %s',
    async (_name, httplog, dropHere, dropRecorded, signal) => {
      const parts: Buffer[] = [];
      await generateApiserverLog(
        { ...DEFAULT_GEN_OPTIONS, httplog, format: 'docker-json', sizeBytes: 6 << 20, seed: 9, startMs: T0 },
        (chunk) => {
          parts.push(Buffer.from(chunk));
        },
      );
      const bytes = Buffer.concat(parts);
      const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
      const half = (from: number, to: number, drop: string | null): Buffer => {
        const text = bytes.subarray(from, to).toString('latin1');
        if (drop === null) return Buffer.from(text, 'latin1');
        return Buffer.from(
          text
            .split('\n')
            .filter((l) => !l.includes(drop))
            .join('\n'),
          'latin1',
        );
      };
      const options = { threshold: 1, farAboveFactor: 0 };
      const run = (forSummary: boolean) => {
        const here = scan(half(0, cut, dropHere));
        const worker = scan(half(cut, bytes.length, dropRecorded), { recordSlots: true });
        const workerCounts = worker.counts;
        const { records } = worker.recordedSlots();
        if (forSummary) here.replaySlotsForSummary(records, [workerCounts]);
        else here.replaySlots(records);
        return summarizeCounts([here.counts, workerCounts], options);
      };
      const full = run(false);
      expect(full.signal).toBe(signal);
      expect(full.hot.length).toBeGreaterThan(5);
      expect(run(true)).toEqual(full);
    },
  );

  test('halves: one counted here, the other recorded, sent through postMessage and played here', async () => {
    const bytes = await generatedLog('docker-json', 12 << 20, 5, true);
    const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
    const here = scan(bytes.subarray(0, cut));
    const worker = scan(bytes.subarray(cut), { recordSlots: true });
    const workerCounts = worker.counts;
    const { records, transfer } = worker.recordedSlots();
    const received = structuredClone(records, { transfer });
    for (const buffer of transfer) expect(buffer.byteLength).toBe(0);
    here.replaySlots(received);
    const options = { threshold: 1, farAboveFactor: 0 };
    const whole = summarize(scan(bytes).counts, options);
    expect(whole.hot.length).toBeGreaterThan(10);
    expect(summarizeCounts([here.counts, workerCounts], options)).toEqual(whole);
  });
});
