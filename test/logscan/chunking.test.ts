/**
 * Chunking: the scanner is fed whatever a stream gives it. The same bytes pushed in any chunk
 * sizes (1 byte up to the whole input) give the same summary and the same per-object counts.
 */
import { describe, expect, test } from '@jest/globals';
import {
  INCIDENT_LINE,
  HOT_NODE,
  auditLine,
  criPartials,
  handlerText,
  httplogText,
  prng,
  randInt,
  scan,
  sixLines,
  verbTable,
  wrap,
  type Format,
} from './helpers.js';
import type { ScanOptions } from '../../src/diagnosis/logscan/index.js';

const T0 = Date.parse('2022-05-07T08:24:37.493Z');
const FORMATS: Format[] = ['klog', 'cri', 'docker-json'];

/** A log of every kind of line, some with CRLF endings, no final newline. */
function corpus(seed: number, requests: number): Buffer {
  const rand = prng(seed);
  const out: string[] = [INCIDENT_LINE];
  const paths = [HOT_NODE, `${HOT_NODE}/status`, '/api/v1/namespaces/x/pods/p', '/api/v1/namespaces/x/pods'];
  const ref = { resource: 'pods', namespace: 'x', name: 'p', apiVersion: 'v1' };
  for (let i = 0; i < requests; i++) {
    const ms = T0 + i * 750;
    const path = paths[randInt(rand, 0, paths.length - 1)]!;
    const verb = ['PUT', 'PATCH', 'GET', 'POST'][randInt(rand, 0, 3)]!;
    const format = FORMATS[randInt(rand, 0, 2)]!;
    switch (randInt(rand, 0, 5)) {
      case 0:
        out.push(...sixLines(ms, verb, path).map((t) => wrap(t, format, ms)));
        break;
      case 1:
        out.push(wrap(httplogText(ms, verb, path), format, ms));
        break;
      case 2: {
        const text = handlerText(ms, 'kube-aggregator', verb, path);
        out.push(...criPartials(text, ms, [randInt(rand, 1, 60), randInt(rand, 61, text.length - 1)]));
        break;
      }
      case 3:
        out.push(auditLine('RequestReceived', 'update', ref, ms, `a${i}`));
        out.push(auditLine('ResponseComplete', 'update', ref, ms, `a${i}`));
        break;
      case 4:
        out.push(
          wrap('I0507 08:24:37.000001       1 controller.go:611] quota evaluator for leases', format, ms),
        );
        break;
      default:
        out.push('junk \u00e9\u00e8 line');
    }
  }
  return Buffer.from(out.map((l, i) => (i % 7 === 3 ? `${l}\r\n` : `${l}\n`)).join('') + INCIDENT_LINE);
}

function chunkSizes(rand: () => number, total: number, maxChunk: number): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const size = Math.min(left, randInt(rand, 1, maxChunk));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

function expectSameScan(bytes: Buffer, options: ScanOptions, sizes: number[]): void {
  const whole = scan(bytes, options);
  const chunked = scan(bytes, options, sizes);
  expect(chunked.summary).toEqual(whole.summary);
  expect(verbTable(chunked.counts)).toEqual(verbTable(whole.counts));
  expect(chunked.counts.signalsSeen).toEqual(whole.counts.signalsSeen);
}

describe('any chunking gives the same counts', () => {
  const bytes = corpus(11, 400);

  test('the corpus itself has every kind of line', () => {
    const { summary } = scan(bytes, { threshold: 1 });
    // Pinned for the seed: every format and signal, junk among them.
    expect(summary).toMatchObject({
      formats: { 'docker-json': 211, cri: 380, klog: 215, audit: 130 },
      signalsSeen: { audit: 65, httplog: 57, 'satisfied-by': 552 },
      signal: 'satisfied-by',
      linesRead: 1007,
      linesSkipped: 128,
      requestsCounted: 150,
      distinctObjects: 4,
      windowStart: '2022-05-07T08:24:39.743Z',
      windowEnd: '2022-05-07T08:29:33.743Z',
    });
    expect(summary.bytesRead).toBe(bytes.length);
  });

  test('one byte at a time', () => {
    expectSameScan(bytes, {}, [1]);
  });

  test.each([2, 3, 7, 64, 333, 4096])('fixed chunks of %i bytes', (size) => {
    expectSameScan(bytes, {}, [size]);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('random chunk sizes, seed %i', (seed) => {
    const rand = prng(seed);
    const maxChunk = [16, 256, 4096, bytes.length][seed % 4]!;
    expectSameScan(bytes, {}, chunkSizes(rand, bytes.length, maxChunk));
  });

  test('a cut at every position of a line holding the incident line and a CRLF line', () => {
    const two = Buffer.from(`${INCIDENT_LINE}\r\n${handlerText(T0, 'kube-aggregator', 'PUT', HOT_NODE)}\r\n`);
    const whole = scan(two);
    expect(whole.summary).toMatchObject({
      linesRead: 2,
      linesSkipped: 0,
      signalsSeen: { 'satisfied-by': 2 },
    });
    for (let cut = 1; cut < two.length; cut++) {
      expect(scan(two, {}, [cut, two.length]).summary).toEqual(whole.summary);
    }
  });
});

describe('lines longer than maxLineBytes are skipped whatever the chunking', () => {
  // Valid request lines, made too long by what follows the path.
  const maxLineBytes = 300;
  const long = (ms: number, format: Format): string =>
    wrap(`${handlerText(ms, 'kube-aggregator', 'PUT', HOT_NODE)} ${'x'.repeat(250)}`, format, ms);
  const short = (ms: number, format: Format): string =>
    wrap(handlerText(ms, 'kube-aggregator', 'PATCH', HOT_NODE), format, ms);
  const input = Buffer.from(
    FORMATS.flatMap((f, i) => [long(T0 + i, f), short(T0 + i, f), long(T0 + i, f)])
      .map((l) => `${l}\n`)
      .join(''),
  );

  test('in one push', () => {
    const { summary, counts } = scan(input, { maxLineBytes });
    expect(summary).toMatchObject({ linesRead: 9, linesSkipped: 6, requestsCounted: 3 });
    expect(verbTable(counts)).toEqual({ [HOT_NODE]: { PATCH: 3 } });
  });

  test.each([1, 2, 3, 4, 5, 6])('in random chunks, seed %i', (seed) => {
    const rand = prng(seed);
    const maxChunk = [8, 64, 200, 400, 1000, input.length][seed - 1]!;
    expectSameScan(input, { maxLineBytes }, chunkSizes(rand, input.length, maxChunk));
  });

  test('cut anywhere in the first line', () => {
    const whole = scan(input, { maxLineBytes });
    const first = input.indexOf(0x0a);
    for (let cut = 1; cut <= first; cut++) {
      expect(scan(input, { maxLineBytes }, [cut, input.length]).summary).toEqual(whole.summary);
    }
  });
});
