/**
 * Fuzz-style, seeded (no Math.random): a known number of valid request lines mixed with random
 * bytes, truncated lines, 1 MB lines, CRLF endings, invalid UTF-8 and truncated JSON. The scan
 * never crashes, counts exactly the valid requests, and counts every other line as skipped.
 */
import { describe, expect, test } from '@jest/globals';
import {
  HOT_NODE,
  auditLine,
  httplogText,
  prng,
  randInt,
  scan,
  sixLines,
  verbTable,
  wrap,
  type Format,
  HOT_NODE_AUDIT_REF,
} from './helpers.js';

const T0 = Date.parse('2022-05-07T08:00:00Z');
const FORMATS: Format[] = ['klog', 'cri', 'docker-json'];
const PATHS = [
  HOT_NODE,
  `${HOT_NODE}/status`,
  '/apis/management.cattle.io/v3/namespaces/c-xyz12/nodes/m-abcde',
  '/api/v1/namespaces/cattle-system/pods/cattle-node-agent-x7k2p',
  '/api/v1/namespaces/cattle-system/pods',
];
const VERBS = ['PUT', 'PATCH', 'POST', 'DELETE', 'GET'];
const SATISFIED_BY = ' satisfied by';

interface Fuzzed {
  bytes: Buffer;
  lines: number;
  junk: number;
  requests: number;
  expected: Record<string, Record<string, number>>;
}

function fuzzedLog(seed: number, requests: number): Fuzzed {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[randInt(rand, 0, items.length - 1)]!;
  const parts: Buffer[] = [];
  let lineCount = 0;
  let junk = 0;
  const expected: Record<string, Record<string, number>> = {};
  const eol = (): string => (rand() < 0.3 ? '\r\n' : '\n');
  const push = (line: Buffer | string, isJunk: boolean): void => {
    parts.push(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from(eol()));
    lineCount++;
    if (isJunk) junk++;
  };
  const randomBytes = (n: number, from = 0, to = 255): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let c = randInt(rand, from, to);
      if (c === 0x0a) c = 0x0b;
      b[i] = c;
    }
    return b;
  };
  /** A valid request line's text (klog), in a format, before any damage. */
  const requestLine = (ms: number, format: Format): string =>
    wrap(sixLines(ms, pick(VERBS), pick(PATHS))[0]!, format, ms);

  let done = 0;
  let step = 0;
  let bigLines = 0;
  let longLines = 0;
  while (done < requests) {
    const ms = T0 + step++ * 700;
    switch (randInt(rand, 0, 11)) {
      case 0:
      case 1:
      case 2: {
        // A valid request: its six lines, each in any format; klog and CRI ones may carry invalid
        // UTF-8 after the request.
        const verb = pick(VERBS);
        const path = pick(PATHS);
        for (const text of sixLines(ms, verb, path)) {
          const format = pick(FORMATS);
          const line = Buffer.from(wrap(text, format, ms));
          const tail =
            format !== 'docker-json' && rand() < 0.3 ? randomBytes(6, 0x80, 0xff) : Buffer.alloc(0);
          push(Buffer.concat([line, tail]), false);
        }
        const row = (expected[path] ??= {});
        const counted = verb === 'GET' && path === '/api/v1/namespaces/cattle-system/pods' ? 'LIST' : verb;
        row[counted] = (row[counted] ?? 0) + 1;
        done++;
        break;
      }
      case 3:
        push(randomBytes(randInt(rand, 0, 300)), true);
        break;
      case 4:
        // Invalid UTF-8 and control bytes only.
        push(randomBytes(randInt(rand, 1, 200), 0x80, 0xff), true);
        break;
      case 5: {
        // A request line cut before its "satisfied by" is complete.
        const format = pick(FORMATS);
        const line = requestLine(ms, format);
        const limit =
          format === 'docker-json' ? line.length - 1 : line.indexOf(SATISFIED_BY) + SATISFIED_BY.length - 1;
        push(line.slice(0, randInt(rand, 1, limit)), true);
        break;
      }
      case 6: {
        // Truncated JSON: audit events of every stage, Docker lines, httplog in Docker.
        const ref = HOT_NODE_AUDIT_REF;
        const stage = pick(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const);
        const json = pick([
          auditLine(stage, 'update', ref, ms, `fuzz-${step}`),
          wrap(httplogText(ms, 'PUT', HOT_NODE), 'docker-json', ms),
        ]);
        push(json.slice(0, randInt(rand, 1, json.length - 1)), true);
        break;
      }
      case 7: {
        // A 1 MB line (two per log): random printable text, or a request line padded past any limit.
        if (bigLines >= 2) break;
        bigLines++;
        const size = 1 << 20;
        if (bigLines === 1) push(randomBytes(size, 0x20, 0x7e), true);
        else {
          const format = pick(['klog', 'cri'] as const);
          push(`${requestLine(ms, format)} ${'x'.repeat(size)}`, true);
        }
        break;
      }
      case 8:
        // Other apiserver messages, in every format.
        push(
          wrap('E0507 08:24:37.000001       1 status.go:71] apiserver received an error', pick(FORMATS), ms),
          true,
        );
        break;
      case 9:
        push(
          pick(['', '\r', '{}', '{"log":1}', '[]', 'null', '2022-05-07T08:00:00Z', '{"kind":"Event"}']),
          true,
        );
        break;
      case 10: {
        // A valid line with a byte flipped inside its klog header or wrapper prefix.
        const line = Buffer.from(requestLine(ms, pick(FORMATS)));
        const at = line[0] === 0x7b ? randInt(rand, 0, 7) : randInt(rand, 0, 4);
        line[at] = 0x00;
        push(line, true);
        break;
      }
      default:
        // A long line just over the default 64 KiB limit, of a valid request.
        if (longLines >= 8) break;
        longLines++;
        push(`${requestLine(ms, 'klog')} ${'y'.repeat(64 * 1024)}`, true);
    }
  }
  return { bytes: Buffer.concat(parts), lines: lineCount, junk, requests, expected };
}

function chunkSizes(seed: number, total: number): number[] {
  const rand = prng(seed);
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const size = Math.min(left, rand() < 0.2 ? randInt(rand, 1, 16) : randInt(rand, 1, 300_000));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

describe('fuzz: junk never crashes the scan nor changes a count', () => {
  test.each([1, 2, 3, 4])('seed %i', (seed) => {
    const log = fuzzedLog(seed, 150);
    // The generator made every kind of damage.
    expect(log.junk).toBeGreaterThan(200);
    expect(log.bytes.length).toBeGreaterThan(2 << 20);

    const whole = scan(log.bytes);
    expect(whole.summary).toMatchObject({
      signal: 'satisfied-by',
      signalsSeen: { 'satisfied-by': 6 * log.requests },
      bytesRead: log.bytes.length,
      linesRead: log.lines,
      linesSkipped: log.junk,
      requestsCounted: log.requests,
    });
    expect(verbTable(whole.counts)).toEqual(log.expected);

    const chunked = scan(log.bytes, {}, chunkSizes(seed * 31, log.bytes.length));
    expect(chunked.summary).toEqual(whole.summary);
    expect(verbTable(chunked.counts)).toEqual(log.expected);
  });

  test('pure random bytes, newlines included, in random chunks', () => {
    const rand = prng(99);
    const bytes = Buffer.alloc(2 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = randInt(rand, 0, 255);
    const newlines = bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
    const whole = scan(bytes);
    expect(whole.summary).toMatchObject({
      signal: null,
      signalsSeen: {},
      requestsCounted: 0,
      distinctObjects: 0,
      bytesRead: bytes.length,
      // The last line has no newline after it.
      linesRead: newlines + (bytes[bytes.length - 1] === 0x0a ? 0 : 1),
      linesSkipped: newlines + (bytes[bytes.length - 1] === 0x0a ? 0 : 1),
    });
    expect(scan(bytes, {}, chunkSizes(5, bytes.length)).summary).toEqual(whole.summary);
  });
});
