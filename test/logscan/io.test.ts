/**
 * Reading logs into the scanner (src/io): plain and gzipped files (gzip known by its magic bytes,
 * not its name), stdin as '-', several files into one summary, a large plain file split across
 * worker threads, and unreadable input named with its problem.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InputError, scanFiles, type ScanProgress } from '../../src/io/index.js';
import { idleScanWorkers, prestartScanWorkers } from '../../src/io/scan-workers.js';
import { wouldSplit } from '../../src/io/split.js';
import { DEFAULT_GEN_OPTIONS, generateApiserverLog } from '../../scripts/gen-apiserver-log.js';
import { RANGE_BYTES, rangeBounds } from '../../src/io/scan-range.js';
import {
  INCIDENT_LINE,
  HOT_NODE,
  REF_2022,
  criPartials,
  handlerText,
  httplogText,
  lines,
  prng,
  randInt,
  scan,
  sixLines,
  tempDir,
  wrap,
  type Format,
} from './helpers.js';

const T0 = Date.parse('2022-05-07T08:00:00Z');
const tmp = tempDir();
afterAll(() => tmp.remove());

/** `n` requests to HOT_NODE (PUT) and a pod (GET), six satisfied-by lines each, in a format. */
function requestLog(n: number, format: Format, startMs = T0): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ms = startMs + i * 1000;
    const path = i % 3 ? HOT_NODE : '/api/v1/namespaces/x/pods/p';
    out.push(...sixLines(ms, i % 3 ? 'PUT' : 'GET', path).map((t) => wrap(t, format, ms)));
  }
  return lines(...out);
}

const opts = { referenceMs: REF_2022 };

describe('files', () => {
  test('a plain file gives the same summary as the bytes scanned in memory', async () => {
    const text = requestLog(30, 'docker-json');
    writeFileSync(tmp.file('plain.log'), text);
    const summary = await scanFiles([tmp.file('plain.log')], opts);
    expect(summary).toEqual(scan(text).summary);
    expect(summary).toMatchObject({
      requestsCounted: 30,
      linesRead: 180,
      bytesRead: Buffer.byteLength(text),
    });
  });

  test('a gzipped file (rotated log) is read transparently', async () => {
    const text = requestLog(30, 'cri');
    writeFileSync(tmp.file('kube-apiserver.log.1.gz'), gzipSync(text));
    const summary = await scanFiles([tmp.file('kube-apiserver.log.1.gz')], opts);
    expect(summary).toEqual(scan(text).summary);
    expect(summary.formats).toEqual({ cri: 180 });
    expect(summary.bytesRead).toBe(Buffer.byteLength(text));
  });

  test('a gzipped file whose name has no .gz is known by its magic bytes', async () => {
    const text = requestLog(12, 'klog');
    writeFileSync(tmp.file('apiserver-log'), gzipSync(text));
    const summary = await scanFiles([tmp.file('apiserver-log')], opts);
    expect(summary).toEqual(scan(text).summary);
    expect(summary.requestsCounted).toBe(12);
  });

  test('a plain file named .gz is read as plain', async () => {
    writeFileSync(tmp.file('not-really.gz'), lines(INCIDENT_LINE));
    const summary = await scanFiles([tmp.file('not-really.gz')], opts);
    expect(summary).toMatchObject({ requestsCounted: 1, formats: { 'docker-json': 1 } });
  });

  test('empty and one-byte files are read, with nothing in them', async () => {
    writeFileSync(tmp.file('empty.log'), '');
    writeFileSync(tmp.file('one.log'), '\x1f');
    const summary = await scanFiles([tmp.file('empty.log'), tmp.file('one.log')], opts);
    expect(summary).toMatchObject({
      bytesRead: 1,
      linesRead: 1,
      linesSkipped: 1,
      requestsCounted: 0,
      signal: null,
    });
  });

  test('several files (plain and gzipped, several formats) add up to one summary', async () => {
    const a = requestLog(10, 'docker-json', T0);
    const b = requestLog(20, 'cri', T0 + 10_000);
    const c = lines(
      ...criPartials(handlerText(T0 + 40_000, 'kube-aggregator', 'PUT', HOT_NODE), T0 + 40_000, [20]),
    );
    writeFileSync(tmp.file('a.log'), a);
    writeFileSync(tmp.file('b.log.gz'), gzipSync(b));
    writeFileSync(tmp.file('c.log'), c);
    const progress: ScanProgress[] = [];
    const summary = await scanFiles([tmp.file('a.log'), tmp.file('b.log.gz'), tmp.file('c.log')], opts, (p) =>
      progress.push({ ...p }),
    );
    expect(summary).toEqual(scan(a + b + c).summary);
    expect(summary).toMatchObject({
      requestsCounted: 31,
      linesRead: 182,
      formats: { 'docker-json': 60, cri: 122 },
      windowStart: '2022-05-07T08:00:00.000Z',
      windowEnd: '2022-05-07T08:00:40.000Z',
    });
    expect(progress.at(-1)).toEqual({
      path: tmp.file('c.log'),
      bytesDone: Buffer.byteLength(a) + Buffer.byteLength(b) + Buffer.byteLength(c),
      bytesTotal: Buffer.byteLength(a) + gzipSync(b).length + Buffer.byteLength(c),
    });
  });
});

describe('stdin', () => {
  test("'-' reads options.stdin", async () => {
    const text = requestLog(9, 'docker-json');
    const summary = await scanFiles(['-'], { ...opts, stdin: Readable.from([Buffer.from(text)]) });
    expect(summary).toEqual(scan(text).summary);
    expect(summary.requestsCounted).toBe(9);
  });

  test('stdin in small chunks, gzipped', async () => {
    const text = requestLog(15, 'cri');
    const gz = gzipSync(text);
    const chunks: Buffer[] = [];
    for (let at = 0; at < gz.length; at += 1 + (at % 97)) chunks.push(gz.subarray(at, at + 1 + (at % 97)));
    expect(chunks[0]!.length).toBe(1); // the magic bytes come in two chunks
    const summary = await scanFiles(['-'], { ...opts, stdin: Readable.from(chunks) });
    expect(summary).toEqual(scan(text).summary);
  });

  test('stdin and files together', async () => {
    const text = requestLog(4, 'klog');
    writeFileSync(tmp.file('with-stdin.log'), lines(INCIDENT_LINE));
    const summary = await scanFiles([tmp.file('with-stdin.log'), '-'], {
      ...opts,
      stdin: Readable.from([Buffer.from(text)]),
    });
    expect(summary).toEqual(scan(lines(INCIDENT_LINE) + text).summary);
  });

  test('empty stdin', async () => {
    const summary = await scanFiles(['-'], { ...opts, stdin: Readable.from([]) });
    expect(summary).toMatchObject({ bytesRead: 0, linesRead: 0, requestsCounted: 0, signal: null });
  });
});

describe('a large plain file split across worker threads', () => {
  let path = '';
  let text = '';
  beforeAll(() => {
    // Every format, CRI partials and CRLF among them, so that range cuts land next to each.
    const rand = prng(2022);
    const out: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const ms = T0 + i * 400;
      const format = (['klog', 'cri', 'docker-json'] as const)[randInt(rand, 0, 2)]!;
      const path = [HOT_NODE, `${HOT_NODE}/status`, '/api/v1/namespaces/x/pods/p'][randInt(rand, 0, 2)]!;
      const verb = ['PUT', 'PATCH', 'GET'][randInt(rand, 0, 2)]!;
      switch (randInt(rand, 0, 3)) {
        case 0:
          out.push(...sixLines(ms, verb, path).map((t) => wrap(t, format, ms)));
          break;
        case 1: {
          // A request left as a chain of CRI partials: a range must never start inside one.
          const t = handlerText(ms, 'kube-aggregator', verb, path);
          out.push(...criPartials(t, ms, [10, 20, 30, 40, 50, 60, 70, 80]));
          break;
        }
        case 2:
          out.push(`${wrap(handlerText(ms, 'kube-aggregator', verb, path), format, ms)}\r`);
          break;
        default:
          out.push(wrap(httplogText(ms, verb, path), format, ms), 'not a log line');
      }
    }
    text = lines(...out);
    path = tmp.file('large.log');
    writeFileSync(path, text);
  });

  test('two threads give exactly the counts of one', async () => {
    const one = await scanFiles([path], { ...opts, threads: 1 });
    const two = await scanFiles([path], { ...opts, threads: 2, splitFromBytes: 1024 });
    expect(two).toEqual(one);
    expect(one).toEqual(scan(text).summary);
    // Pinned for the seed.
    expect(one).toMatchObject({
      formats: { cri: 4340, 'docker-json': 960, klog: 1059 },
      signalsSeen: { httplog: 371, 'satisfied-by': 2964 },
      signal: 'satisfied-by',
      linesRead: 6730,
      linesSkipped: 371,
      requestsCounted: 1129,
      distinctObjects: 3,
    });
  });

  test('more ranges than threads would give still add up (three threads on two cores)', async () => {
    const one = await scanFiles([path], { ...opts, threads: 1 });
    const three = await scanFiles([path], { ...opts, threads: 3, splitFromBytes: 1024, threshold: 1 });
    expect({ ...three, hot: [] }).toEqual({ ...one, hot: [] });
    const oneHot = await scanFiles([path], { ...opts, threads: 1, threshold: 1 });
    expect(three.hot).toEqual(oneHot.hot);
    expect(three.hot.map((h) => h.key).sort()).toEqual(
      [HOT_NODE, `${HOT_NODE}/status`, '/api/v1/namespaces/x/pods/p'].sort(),
    );
  });

  test('a worker that hands its slot records over after every range: the counts of one thread', async () => {
    // A generated RKE1 log of half an hour, long enough that the worker (booted first) takes ranges.
    const generated = tmp.file('handover.log');
    const parts: Buffer[] = [];
    await generateApiserverLog(
      { ...DEFAULT_GEN_OPTIONS, sizeBytes: 24 << 20, rate: 2, seed: 9, startMs: T0 },
      (chunk) => {
        parts.push(Buffer.from(chunk));
      },
    );
    writeFileSync(generated, Buffer.concat(parts));
    // Every writer listed: the comparison covers their writes and minutes.
    const all = { threshold: 0.001, farAboveFactor: 0 };
    const one = await scanFiles([generated], { ...opts, ...all, threads: 1 });
    await prestartScanWorkers(1);
    const handedOver = await scanFiles([generated], {
      ...opts,
      ...all,
      threads: 2,
      splitFromBytes: 1024,
      handoverBytes: 1,
    });
    expect(one.hot.length).toBeGreaterThan(100);
    expect(handedOver).toEqual(one);
  });

  test('workers booted ahead (as scan-logs boots them) are taken by the scan, and idle ones ended', async () => {
    const one = await scanFiles([path], { ...opts, threads: 1 });
    // Resolves once the worker has loaded its code (main.ts then changes V8's flags).
    await prestartScanWorkers(1);
    expect(idleScanWorkers()).toBe(1);
    const two = await scanFiles([path], { ...opts, threads: 2, splitFromBytes: 1024 });
    expect(two).toEqual(one);
    expect(idleScanWorkers()).toBe(0);
    // A worker still booting is taken as well: its job waits for it.
    void prestartScanWorkers(1);
    expect(await scanFiles([path], { ...opts, threads: 2, splitFromBytes: 1024 })).toEqual(one);
    expect(idleScanWorkers()).toBe(0);
    // A scan that splits nothing ends the booted worker it did not need.
    void prestartScanWorkers(1);
    const small = await scanFiles([path], { ...opts, threads: 2 });
    expect(small).toEqual(one);
    expect(idleScanWorkers()).toBe(0);
  });

  test('range bounds: cover the file, rising, 32 MiB at most, the last ones small, a few per thread', () => {
    const MiB = 2 ** 20;
    for (const [size, threads] of [
      [2 ** 30, 2],
      [4 * 2 ** 30, 2],
      [64 * MiB, 2],
      [100_000, 3],
      [5, 2],
    ] as const) {
      const bounds = rangeBounds(size, threads);
      const sizes = bounds.slice(1).map((bound, i) => bound - bounds[i]!);
      expect(bounds[0]).toBe(0);
      expect(bounds[bounds.length - 1]).toBe(size);
      expect(sizes.every((n) => n > 0 && n <= RANGE_BYTES)).toBe(true);
      expect(sizes.length).toBeGreaterThanOrEqual(Math.min(size, 4 * threads));
      // The last ranges are small, so that the threads end together.
      expect(sizes[sizes.length - 2]!).toBeLessThanOrEqual(Math.max(2 * MiB, size / (4 * threads)));
    }
    const gib = rangeBounds(2 ** 30, 2);
    expect(gib[1]).toBe(RANGE_BYTES);
  });

  test('workers are booted ahead only for a file a scan would split (wouldSplit)', () => {
    const plain = tmp.file('split-candidate.log');
    const gzip = tmp.file('split-candidate.log.gz');
    writeFileSync(plain, text);
    writeFileSync(gzip, gzipSync(text));
    expect(text.length).toBeGreaterThan(1024);
    expect(wouldSplit(plain, 1024)).toBe(true);
    expect(wouldSplit(plain, text.length + 1)).toBe(false);
    expect(wouldSplit(plain)).toBe(false); // below DEFAULT_SPLIT_FROM_BYTES
    expect(wouldSplit(gzip, 16)).toBe(false);
    expect(wouldSplit('-', 0)).toBe(false);
    expect(wouldSplit('--json', 0)).toBe(false);
    expect(wouldSplit(tmp.file('missing.log'), 0)).toBe(false);
    mkdirSync(tmp.file('a-folder'));
    expect(wouldSplit(tmp.file('a-folder'), 0)).toBe(false);
  });

  test('a gzipped file is never split', async () => {
    writeFileSync(tmp.file('large.log.gz'), gzipSync(text));
    const summary = await scanFiles([tmp.file('large.log.gz')], {
      ...opts,
      threads: 2,
      splitFromBytes: 1024,
    });
    expect(summary).toEqual(scan(text).summary);
  });
});

describe('unreadable input: InputError naming the file and the problem', () => {
  const attempt = async (paths: string[]): Promise<InputError> => {
    try {
      await scanFiles(paths, opts);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return error as InputError;
    }
    throw new Error('scanFiles did not fail');
  };

  test('a missing file', async () => {
    const error = await attempt([tmp.file('missing.log')]);
    expect(error.message).toBe(`${tmp.file('missing.log')}: no such file`);
    expect(error.path).toBe(tmp.file('missing.log'));
  });

  test('a directory', async () => {
    mkdirSync(tmp.file('a-directory'));
    const error = await attempt([tmp.file('a-directory')]);
    expect(error.message).toBe(`${tmp.file('a-directory')}: is a directory, not a log file`);
  });

  test('a bad path among good ones fails before any scanning, naming the bad one', async () => {
    writeFileSync(tmp.file('good.log'), lines(INCIDENT_LINE));
    const error = await attempt([tmp.file('good.log'), tmp.file('nope.log')]);
    expect(error.message).toBe(`${tmp.file('nope.log')}: no such file`);
  });

  test('corrupt gzip data', async () => {
    const gz = gzipSync(requestLog(50, 'docker-json'));
    const corrupt = Buffer.from(gz);
    for (let i = 20; i < corrupt.length - 20; i += 7) corrupt[i] = corrupt[i]! ^ 0x5a;
    writeFileSync(tmp.file('corrupt.log.gz'), corrupt);
    const error = await attempt([tmp.file('corrupt.log.gz')]);
    expect(error.message).toBe(`${tmp.file('corrupt.log.gz')}: corrupt gzip data`);
  });

  test('gzip magic bytes and then no gzip at all', async () => {
    writeFileSync(
      tmp.file('magic-only.gz'),
      Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('hello')]),
    );
    const error = await attempt([tmp.file('magic-only.gz')]);
    expect(error.message).toBe(`${tmp.file('magic-only.gz')}: corrupt gzip data`);
  });

  test('a truncated gzip file', async () => {
    const gz = gzipSync(requestLog(50, 'docker-json'));
    writeFileSync(tmp.file('truncated.log.gz'), gz.subarray(0, gz.length >> 1));
    const error = await attempt([tmp.file('truncated.log.gz')]);
    expect(error.message).toBe(`${tmp.file('truncated.log.gz')}: truncated gzip data`);
  });

  test('corrupt gzip on stdin names standard input', async () => {
    const gz = gzipSync(requestLog(5, 'klog'));
    const error = await (async () => {
      try {
        await scanFiles(['-'], { ...opts, stdin: Readable.from([gz.subarray(0, gz.length - 12)]) });
      } catch (e) {
        return e as InputError;
      }
      throw new Error('scanFiles did not fail');
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('standard input: truncated gzip data');
  });
});
