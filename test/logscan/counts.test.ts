/**
 * Counts packed for postMessage (a scan worker's result) come back as they went: every object,
 * verb count, time and per-minute bucket, and the summary of parts merged is that of one pass.
 */
import { describe, expect, test } from '@jest/globals';
import {
  LogScanner,
  exportCounts,
  importCounts,
  summarize,
  summarizeCounts,
  type ScanCounts,
} from '../../src/diagnosis/logscan/index.js';
import { DEFAULT_GEN_OPTIONS, generateApiserverLog } from '../../scripts/gen-apiserver-log.js';
import { REF_2022, auditLine, handlerText, httplogText, normalizeCounts, wrap } from './helpers.js';

const T0 = Date.parse('2022-05-07T08:00:00Z');

async function generatedLog(format: 'docker-json' | 'cri', sizeBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  await generateApiserverLog({ ...DEFAULT_GEN_OPTIONS, format, sizeBytes, seed: 7, startMs: T0 }, (chunk) => {
    parts.push(Buffer.from(chunk));
  });
  return Buffer.concat(parts);
}

function scan(bytes: Buffer): ScanCounts {
  const scanner = new LogScanner({ referenceMs: REF_2022 });
  scanner.push(bytes);
  scanner.end();
  return scanner.counts;
}

/** As a worker's counts reach the thread that started it: cloned, their buffers handed over. */
function throughPostMessage(counts: ScanCounts): ScanCounts {
  const { packed, transfer } = exportCounts(counts);
  const received = structuredClone(packed, { transfer });
  // Handed over, not copied: the sender's buffers are emptied.
  for (const buffer of transfer) expect(buffer.byteLength).toBe(0);
  return importCounts(received);
}

describe('counts packed for a worker thread', () => {
  test('a generated RKE1 log: every channel, object, verb, time and minute comes back', async () => {
    const counts = scan(await generatedLog('docker-json', 3 << 20));
    const expected = normalizeCounts(counts);
    expect(expected.handlers.length).toBeGreaterThanOrEqual(3);
    expect(expected.handlers.every(([, channel]) => channel.objects.length > 100)).toBe(true);
    expect(normalizeCounts(throughPostMessage(counts))).toEqual(expected);
  });

  test('audit and httplog channels, objects without writes (no buckets) and an empty channel', () => {
    const lines = [
      auditLine(
        'ResponseComplete',
        'update',
        { resource: 'configmaps', namespace: 'a', name: 'x', apiVersion: 'v1' },
        T0,
      ),
      auditLine(
        'ResponseComplete',
        'get',
        { resource: 'configmaps', namespace: 'a', name: 'y', apiVersion: 'v1' },
        T0 + 1000,
      ),
      wrap(httplogText(T0 + 2000, 'PUT', '/api/v1/namespaces/a/secrets/s'), 'cri', T0 + 2000),
      wrap(handlerText(T0 + 3000, 'kube-apiserver', 'GET', '/api/v1/nodes/n1'), 'docker-json', T0 + 3000),
    ];
    const counts = scan(Buffer.from(`${lines.join('\n')}\n`));
    const expected = normalizeCounts(counts);
    expect(expected.audit.objects).toHaveLength(2);
    expect(expected.httplog.objects).toHaveLength(1);
    expect(normalizeCounts(throughPostMessage(counts))).toEqual(expected);
    const empty = scan(Buffer.alloc(0));
    expect(normalizeCounts(throughPostMessage(empty))).toEqual(normalizeCounts(empty));
  });

  test('halves scanned apart, one sent through postMessage, sum up to the summary of one pass', async () => {
    const bytes = await generatedLog('cri', 2 << 20);
    const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
    const whole = summarize(scan(bytes), { threshold: 1, farAboveFactor: 0 });
    const halves = summarizeCounts(
      [scan(bytes.subarray(0, cut)), throughPostMessage(scan(bytes.subarray(cut)))],
      {
        threshold: 1,
        farAboveFactor: 0,
      },
    );
    expect(whole.hot.length).toBeGreaterThan(10);
    expect(halves).toEqual(whole);
  });
});
