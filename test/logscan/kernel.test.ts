/**
 * The WebAssembly kernel against the TypeScript scanner: the same bytes, fed the same way, must
 * give the same counts with `useKernel` on (the default) and off. Compared order-insensitively:
 * normalizeCounts() (helpers.ts) and summarize().
 *
 * Every case also counts the lines the kernel read itself and the lines it handed back (see
 * tapScanner), so that a case which never reaches the kernel cannot pass for a comparison.
 *
 * The "divergences found" block at the end keeps, each as a test of its own, the smallest input
 * of every difference this suite has found.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { LogScanner, summarize, type LogScanOptions } from '../../src/diagnosis/logscan/index.js';
import { kernelAvailable } from '../../src/diagnosis/logscan/line-kernel.js';
import { DEFAULT_GEN_OPTIONS, generateApiserverLog } from '../../scripts/gen-apiserver-log.js';
import type { ActivitySummary } from '../../src/diagnosis/types.js';
import {
  COMPONENTS,
  HOT_NODE,
  REF_2022,
  auditLine,
  criPartials,
  handlerText,
  normalizeCounts,
  type Normalized,
  httplogText,
  pathrecorderText,
  prng,
  randInt,
  wrap,
} from './helpers.js';

const T0 = Date.parse('2022-05-07T08:00:00Z');
const MINUTE = 60_000;
const SAMPLE = readFileSync(new URL('../../samples/kube-apiserver-rke1.log', import.meta.url));

// ---------------------------------------------------------------- running both scanners

type Feed = (
  | /** push() in these sizes, cycled; after `prefix` bytes (when given) the rest in one push. */
    { kind: 'push'; sizes?: readonly number[]; prefix?: number }
    /**
     * readBuffer() / pushRead() with reads of 1..maxRead bytes (seeded), and of 0 bytes (zeroReads);
     * with somePushes, a third of the reads go through push() instead.
     */
  | { kind: 'read'; seed: number; maxRead: number; zeroReads?: boolean; somePushes?: boolean }
) & {
  /** Read `counts` after every push (the kernel's slots are then taken mid-stream). */
  peek?: boolean;
};

interface KernelTap {
  /** Lines the kernel read itself. */
  accepted: number;
  /** Lines it handed back to the TypeScript scanner. */
  handedBack: number;
}

interface Run {
  data: Normalized;
  summary: ActivitySummary;
  /**
   * summarize() with a threshold every writer passes, so that hot objects (perMinute, ref) are
   * compared too; null past 5000 tallies (the records compare the same fields).
   */
  lowThreshold: ActivitySummary | null;
  tap: KernelTap;
  /** The sizes pushed (or read) per range, so that the reference is fed the very same way. */
  sizes: number[][];
}

const tallyCount = (data: Normalized): number =>
  data.audit.objects.length +
  data.httplog.objects.length +
  data.handlers.reduce((n, [, channel]) => n + channel.objects.length, 0);

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  const part = buf.subarray(from, to);
  for (let p = part.indexOf(0x0a); p >= 0; p = part.indexOf(0x0a, p + 1)) n++;
  return n;
}

/**
 * Counts the lines the TypeScript scanner reads (its private line() and skipLine(), one call per
 * line): with linesRead, how many lines the kernel read. Internal, but sturdier than reading the
 * kernel's own memory layout, which moves.
 */
function tapScanner(scanner: LogScanner): { typescriptLines: number } {
  const tap = { typescriptLines: 0 };
  const inner = scanner as unknown as Record<string, unknown>;
  for (const name of ['line', 'skipLine']) {
    const method = inner[name];
    if (typeof method !== 'function') throw new Error(`LogScanner.${name} is gone: update tapScanner()`);
    inner[name] = (...args: unknown[]): unknown => {
      tap.typescriptLines++;
      return (method as (...a: unknown[]) => unknown).apply(scanner, args);
    };
  }
  return tap;
}

/** Pushes one range as `feed` says, returning the sizes used. */
function feedRange(scanner: LogScanner, bytes: Buffer, feed: Feed, rand: () => number): number[] {
  const sizes: number[] = [];
  let at = 0;
  if (feed.kind === 'push') {
    const cycle = feed.sizes ?? [];
    const prefix = feed.prefix ?? bytes.length;
    let i = 0;
    while (at < bytes.length) {
      const size =
        cycle.length === 0 || at >= prefix
          ? bytes.length - at
          : Math.min(bytes.length - at, Math.max(1, cycle[i++ % cycle.length]!));
      scanner.push(bytes.subarray(at, at + size));
      if (feed.peek) void scanner.counts;
      sizes.push(size);
      at += size;
    }
    return sizes;
  }
  while (at < bytes.length) {
    const target = scanner.readBuffer();
    if (target === null) throw new Error('readBuffer() is null with the kernel on');
    // Mostly small reads, some large ones (up to the whole input area); with zeroReads, a read
    // of nothing after each read that ended a line (nothing held then; see divergences found, E).
    const wanted =
      feed.zeroReads && at > 0 && bytes[at - 1] === 0x0a && sizes[sizes.length - 1] !== 0
        ? 0
        : rand() < 0.7
          ? randInt(rand, 1, Math.min(feed.maxRead, 4096))
          : randInt(rand, 1, feed.maxRead);
    let n = Math.min(wanted, target.length, bytes.length - at);
    if (feed.zeroReads && n > 0 && rand() < 0.5) {
      // A read that ends a line, so that the next (zero-byte) read finds nothing held.
      const nl = bytes.indexOf(0x0a, at + n - 1);
      if (nl >= 0 && nl + 1 - at <= target.length) n = nl + 1 - at;
    }
    if (feed.somePushes && rand() < 0.33) scanner.push(bytes.subarray(at, at + n));
    else {
      bytes.copy(target, 0, at, at + n);
      scanner.pushRead(n);
    }
    if (feed.peek) void scanner.counts;
    sizes.push(n);
    at += n;
  }
  return sizes;
}

function runScanner(
  ranges: readonly Buffer[],
  options: LogScanOptions,
  useKernel: boolean,
  feeds: Feed[],
): Run {
  const scanner = new LogScanner({ referenceMs: REF_2022, ...options, useKernel });
  const tap = tapScanner(scanner);
  const sizes: number[][] = [];
  ranges.forEach((bytes, i) => {
    const feed = feeds[i % feeds.length]!;
    sizes.push(feedRange(scanner, bytes, feed, prng(feed.kind === 'read' ? feed.seed + i : i)));
    if (i < ranges.length - 1) scanner.endRange();
  });
  scanner.end();
  const data = normalizeCounts(scanner.counts);
  return {
    data,
    summary: summarize(scanner.counts, {}),
    lowThreshold:
      tallyCount(data) > 5000 ? null : summarize(scanner.counts, { threshold: 0.001, farAboveFactor: 0 }),
    tap: { accepted: data.linesRead - tap.typescriptLines, handedBack: tap.typescriptLines },
    sizes,
  };
}

/** Where two values first differ (a path), or null. */
function firstDifference(
  a: unknown,
  b: unknown,
  path = '$',
): { path: string; kernel: unknown; typescript: unknown } | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return { path, kernel: a, typescript: b };
  }
  if (Array.isArray(a) !== Array.isArray(b)) return { path, kernel: a, typescript: b };
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const key of keys) {
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (found !== null) {
      // Show the whole object (a tally) around a difference deep inside it.
      const holder = a as Record<string, unknown>;
      if (typeof holder.key === 'string' && found.path !== `${path}.${key}`) {
        return { path: `${path} (${holder.key})`, kernel: a, typescript: b };
      }
      return found;
    }
  }
  return null;
}

/**
 * The input scanned with the kernel (fed as `feeds` say, one per range, cycled; endRange()
 * between ranges) and without it (fed the very same sizes through push()): the same counts.
 */
function compare(
  input: Buffer | readonly Buffer[],
  options: LogScanOptions = {},
  feeds: Feed[] = [{ kind: 'push' }],
): { kernel: Run; reference: Run } {
  const ranges = Buffer.isBuffer(input) ? [input] : input;
  const kernel = runScanner(ranges, options, true, feeds);
  const replay: Feed[] = kernel.sizes.map((sizes) => ({ kind: 'push', sizes }));
  const reference = runScanner(ranges, options, false, replay);
  expect(reference.tap.accepted).toBe(0);
  // JSON keeps key order: equal strings are equal records, formats and signalsSeen in the same
  // order. When they differ, the first difference alone (readable), then the whole records.
  const kernelJson = JSON.stringify(kernel.data);
  const referenceJson = JSON.stringify(reference.data);
  if (kernelJson !== referenceJson) {
    const byName = (data: Normalized): unknown => ({ ...data, handlers: Object.fromEntries(data.handlers) });
    expect(firstDifference(byName(kernel.data), byName(reference.data))).toBeNull();
  }
  // toEqual on the records; on records of thousands of tallies on their JSON, which says the
  // same in a fraction of the time.
  const large = tallyCount(reference.data) > 5000;
  if (large) expect(kernelJson).toEqual(referenceJson);
  else expect(kernel.data).toEqual(reference.data);
  expect(kernel.summary).toEqual(reference.summary);
  expect(Object.keys(kernel.summary.formats)).toEqual(Object.keys(reference.summary.formats));
  expect(Object.keys(kernel.summary.signalsSeen)).toEqual(Object.keys(reference.summary.signalsSeen));
  expect(kernel.lowThreshold).toEqual(reference.lowThreshold);
  return { kernel, reference };
}

/** compare() whole, in 1..7-byte chunks, and through pushRead() with random reads. */
function compareAllWays(
  bytes: Buffer,
  options: LogScanOptions = {},
  seed = 1,
): { kernel: Run; reference: Run } {
  const whole = compare(bytes, options);
  compare(bytes, options, [{ kind: 'push', sizes: [1, 2, 3, 4, 5, 6, 7] }]);
  compare(bytes, options, [{ kind: 'read', seed, maxRead: 512 }]);
  compare(bytes, options, [{ kind: 'read', seed: seed + 100, maxRead: 64 << 10 }]);
  return whole;
}

// ---------------------------------------------------------------- line builders (raw bytes)

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** klog header `Lmmdd hh:mm:ss.uuuuuu<thread> <file>] `; `thread` holds its spaces and digits. */
function head(ms: number, file = 'handler.go:153', thread = '       1', severity = 'I'): string {
  const d = new Date(ms);
  return (
    `${severity}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.` +
    `${pad(d.getUTCMilliseconds() * 1000 + 123, 6)}${thread} ${file}] `
  );
}

/** A Docker stamp: `fraction` digits (-1: no dot at all), then `zone`. */
function stamp(ms: number, fraction = 9, zone = 'Z'): string {
  const iso = new Date(ms).toISOString();
  const digits = `${pad(ms % 1000, 3)}4567890123456789012345`.slice(0, Math.max(0, fraction));
  return `${iso.slice(0, 19)}${fraction < 0 ? '' : `.${digits}`}${zone}`;
}

/** A Docker json-file line; `log` is the raw content of the JSON string (escapes as written). */
const docker = (log: string, time: string, after = '', stream = 'stderr'): string =>
  `{"log":"${log}\\n","stream":"${stream}","time":"${time}"${after}}`;

/** A handler.go message as it sits inside the Docker string (its quotes escaped). */
const handlerMsg = (
  component: string,
  verb: string,
  path: string,
  tail = ' satisfied by nonGoRestful',
): string => `${component}: ${verb} \\"${path}\\"${tail}`;

const recorderMsg = (component: string, path: string): string =>
  `${component}: \\"${path}\\" satisfied by prefix /apis/`;

/** The commonest line: a Docker handler.go satisfied-by line. */
const dockerHandler = (ms: number, component: string, verb: string, path: string, time = stamp(ms)): string =>
  docker(head(ms) + handlerMsg(component, verb, path), time);

const dockerRecorder = (ms: number, component: string, path: string): string =>
  docker(head(ms, 'pathrecorder.go:247') + recorderMsg(component, path), stamp(ms, 8));

const POD = '/api/v1/namespaces/cattle-system/pods/cattle-node-agent-x7k2p';
const PODS = '/api/v1/namespaces/cattle-system/pods';
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/rancher-2';
const OBJECT_PATHS = [
  HOT_NODE,
  `${HOT_NODE}/status`,
  POD,
  PODS,
  LEASE,
  '/api/v1/nodes/node-1',
  '/api/v1/nodes',
];

/** Valid kernel lines of the three usual components, so that every family has its channels. */
function anchors(ms: number, i: number): string[] {
  const path = OBJECT_PATHS[i % OBJECT_PATHS.length]!;
  const verb = ['PUT', 'GET', 'PATCH', 'POST', 'DELETE'][i % 5]!;
  return COMPONENTS.map((c) => dockerHandler(ms, c, verb, path));
}

/** Each variant twice (the second time in the next second), between anchor lines. */
function family(variants: readonly ((ms: number) => string)[]): Buffer {
  const out: string[] = [];
  variants.forEach((variant, i) => {
    const ms = T0 + i * 1500;
    out.push(...anchors(ms, i), variant(ms), variant(ms + 1000), ...anchors(ms + 1001, i + 1));
  });
  return Buffer.from(out.map((l) => `${l}\n`).join(''), 'latin1');
}

const log = (lines: readonly string[], eol = '\n'): Buffer =>
  Buffer.from(lines.map((l) => `${l}${eol}`).join(''), 'latin1');

// ---------------------------------------------------------------- tests

describe('the kernel is there', () => {
  test('kernelAvailable() (npm test builds the kernel into kernel-wasm.ts first, in its pretest script)', () => {
    expect(kernelAvailable()).toBe(true);
    expect(new LogScanner({ referenceMs: REF_2022 }).readBuffer()).not.toBeNull();
    expect(new LogScanner({ referenceMs: REF_2022, useKernel: false }).readBuffer()).toBeNull();
  });
});

describe('the sample RKE1 log', () => {
  test('whole: the kernel reads nearly every line, and the counts are the same', () => {
    const { kernel, reference } = compare(SAMPLE);
    const lines = countNewlines(SAMPLE, 0, SAMPLE.length);
    expect(reference.data.linesRead).toBe(lines + (SAMPLE[SAMPLE.length - 1] === 0x0a ? 0 : 1));
    expect(kernel.tap.accepted).toBeGreaterThan(0.9 * lines);
    expect(reference.summary.requestsCounted).toBeGreaterThan(0);
  });

  test('in 1..7-byte chunks for the first 96 KiB, then the rest at once', () => {
    compare(SAMPLE, {}, [{ kind: 'push', sizes: [1, 7, 2, 6, 3, 5, 4], prefix: 96 << 10 }]);
  });

  test('in 128 KiB chunks', () => {
    compare(SAMPLE, {}, [{ kind: 'push', sizes: [128 << 10] }]);
  });

  test.each([1, 2, 3])('through readBuffer()/pushRead(), random reads, seed %i', (seed) => {
    const { kernel } = compare(SAMPLE, {}, [
      { kind: 'read', seed, maxRead: [300, 8192, 1 << 20][seed - 1]! },
    ]);
    expect(kernel.tap.accepted).toBeGreaterThan(0);
  });

  test('sinceMs in the middle of the log', () => {
    const first = Date.parse(JSON.parse(SAMPLE.subarray(0, SAMPLE.indexOf(0x0a)).toString()).time);
    const lastLine = SAMPLE.subarray(SAMPLE.lastIndexOf(0x0a, SAMPLE.length - 2) + 1).toString();
    const last = Date.parse(JSON.parse(lastLine).time);
    const sinceMs = Math.floor((first + last) / 2);
    const { reference } = compare(SAMPLE, { sinceMs }, [{ kind: 'read', seed: 9, maxRead: 100_000 }]);
    expect(reference.summary.windowStart! >= new Date(sinceMs).toISOString()).toBe(true);
  });

  test('reads and pushes mixed (a held line goes to push())', () => {
    compare(SAMPLE, {}, [{ kind: 'read', seed: 5, maxRead: 2000, somePushes: true }]);
  });

  test('cut into four ranges with endRange() between them', () => {
    const cuts = [0, 300_001, 700_003, 1_000_007, SAMPLE.length];
    const ranges = cuts.slice(1).map((end, i) => SAMPLE.subarray(cuts[i]!, end));
    compare(ranges, {}, [
      { kind: 'read', seed: 4, maxRead: 5000 },
      { kind: 'push', sizes: [4093] },
    ]);
  });
});

describe('generated Docker lines', () => {
  const VERBS = [
    'GET',
    'PUT',
    'POST',
    'PATCH',
    'DELETE',
    'WATCHLIST',
    'WATCH',
    'LIST',
    'OPTIONS',
    'HEAD',
    'CONNECT',
    'DELETECOLLECTION',
    'UPDATE',
    'APPLY',
    'CREATE',
    'get',
    'put',
    'Put',
    'PUTX',
    'POSTS',
    'GE',
    'PATC',
    'DELET',
    'G3T',
    '',
  ];
  const PATHS = [
    ...OBJECT_PATHS,
    '/apis/management.cattle.io/v3/clusters/c-dql6k',
    '/api/v1/namespaces/x/pods/p/log',
    '/api/v1/namespaces/x/pods/p/proxy/a/b',
    '/api/v1/namespaces/x/pods/p/',
    '/apis/apps/v1/watch/namespaces/kube-system/deployments',
    '/api/v1/watch/namespaces/x/pods/p',
    '/api/v1/watch/pods',
    `${PODS}?watch=true`,
    `${PODS}?watch=1`,
    `${PODS}?watch=false`,
    `${PODS}?watch=10`,
    `${POD}?watch=true`,
    `${PODS}?labelSelector=app%3Dx\\u0026watch=true`,
    `${PODS}?resourceVersion=1\\u0026watch=1`,
    `${PODS}?limit=500\\u0026resourceVersion=0`,
    `${HOT_NODE}?fieldManager=rancher\\u0026timeout=10s`,
    `${HOT_NODE}?\\u0026`,
    `${HOT_NODE}??watch=true`,
    `${HOT_NODE}?a?b=c`,
    '/api/v1/pods?watch=true\\u0026allowWatchBookmarks=true',
  ];
  const NON_RESOURCE = [
    '/healthz',
    '/livez',
    '/readyz?verbose',
    '/apis',
    '/api',
    '/api/v1',
    '/apis/apps/v1',
    '/openapi/v2',
    '/version',
    '/',
    '',
    '/metrics?x=1\\u0026y=2',
  ];

  test.each(VERBS)('verb %j to every kind of path', (verb) => {
    const bytes = family(
      [...PATHS, ...NON_RESOURCE].map(
        (path, i) => (ms: number) => dockerHandler(ms, COMPONENTS[i % 3]!, verb, path),
      ),
    );
    const { kernel } = compare(bytes);
    expect(kernel.tap.accepted).toBeGreaterThan(0);
  });

  test('every verb and path, in small chunks and random reads', () => {
    const variants = VERBS.flatMap((verb) =>
      [...PATHS, ...NON_RESOURCE].map(
        (path) => (ms: number) => dockerHandler(ms, 'kube-apiserver', verb, path),
      ),
    );
    compareAllWays(family(variants));
  });

  test('pathrecorder.go lines with every path', () => {
    const bytes = family(
      [...PATHS, ...NON_RESOURCE].flatMap((path) => [
        (ms: number) => dockerRecorder(ms, 'kube-aggregator', path),
        (ms: number) => dockerRecorder(ms, 'other-component', path),
      ]),
    );
    compareAllWays(bytes);
  });

  test('paths with escapes: \\/, \\\\, \\uXXXX outside the query, \\t, unescaped quotes', () => {
    const paths = [
      '\\/api\\/v1\\/namespaces\\/x\\/pods\\/p',
      '/api/v1/namespaces/x/pods/p\\/',
      '/api/v1/namespaces/x/pods/p\\\\',
      '/api/v1/namespaces/x/pods/a\\\\b',
      '/api/v1/namespaces/x/pods/p\\u0041',
      '/api/v1/namespaces/x/pods/\\u0070',
      '/api/v1/namespaces/x/pods/p\\t',
      '/api/v1/namespaces/x/pods/p?x=\\/y',
      '/api/v1/namespaces/x/pods/p?x=\\\\',
      '/api/v1/namespaces/x/pods/p?x=\\u',
      '/api/v1/namespaces/x/pods/p?x=\\u00',
      '/api/v1/namespaces/x/pods/p?x=\\u0026\\u0026watch=true',
      '/api/v1/namespaces/x/pods/p?x=\\"y',
      '/api/v1/namespaces/x/pods/p"q',
      '/api/v1/namespaces/x/pods/p?w="',
      '/api/v1/namespaces/x/pods/p\\',
      '/api/v1/namespaces/x/pods/p\\\\\\"',
      '/api/v1/namespaces/x/pods/p\\u003fwatch=true',
      '/api/v1/namespaces/x/pods?watch\\u003dtrue',
      '/api/v1/namespaces/x/pods?w=\\u0026watch=true',
    ];
    const variants = paths.flatMap((path) => [
      (ms: number) => dockerHandler(ms, 'kube-apiserver', 'PUT', path),
      (ms: number) => dockerHandler(ms, 'kube-aggregator', 'GET', path),
      (ms: number) => dockerRecorder(ms, 'kube-aggregator', path),
    ]);
    compareAllWays(family(variants));
  });

  test('paths around the 8192-byte reach of the path walk, and longer', () => {
    const base = '/api/v1/namespaces/x/configmaps/';
    const variants: ((ms: number) => string)[] = [];
    for (const length of [8150, 8189, 8190, 8191, 8192, 8193, 8194, 8200, 9000, 20_000]) {
      const name = base + 'n'.repeat(length - base.length);
      variants.push((ms) => dockerHandler(ms, 'kube-apiserver', 'PUT', name));
      variants.push((ms) => dockerRecorder(ms, 'kube-aggregator', name));
      // A query whose \u0026 straddles the reach.
      const query = `${base}q?${'a'.repeat(length - base.length - 5)}\\u0026watch=true`;
      variants.push((ms) => dockerHandler(ms, 'kube-aggregator', 'GET', query));
    }
    compareAllWays(family(variants));
  });

  test('components: more than 4, more than 16, names of every length but 64', () => {
    const names = [
      ...COMPONENTS,
      ...Array.from({ length: 20 }, (_, i) => `component-${i}`),
      'a',
      'b'.repeat(15),
      'c'.repeat(16),
      'd'.repeat(17),
      'e'.repeat(32),
      'f'.repeat(33),
      'g'.repeat(48),
      'h'.repeat(62),
      'i'.repeat(63),
      'j'.repeat(65),
      'k'.repeat(66),
      'l'.repeat(80),
      'm'.repeat(130),
      'kube apiserver',
      'kube\\\\apiserver',
      'kube\\u0041piserver',
      'k\u00e9be',
      'k\u00c3\u00a9be',
      '',
      ' ',
    ];
    // Each component with a few object paths, so that every one has requests in both scanners.
    const variants = names.flatMap((name, i) => [
      (ms: number) =>
        dockerHandler(ms, name, ['PUT', 'GET', 'PATCH'][i % 3]!, OBJECT_PATHS[i % OBJECT_PATHS.length]!),
      (ms: number) => dockerHandler(ms, name, 'DELETE', HOT_NODE),
      (ms: number) => dockerRecorder(ms, name, HOT_NODE),
    ]);
    const { kernel, reference } = compareAllWays(family(variants));
    expect(reference.data.handlers.length).toBeGreaterThan(16);
    expect(kernel.tap.accepted).toBeGreaterThan(0);
  });

  test('files: handler.go, pathrecorder.go, httplog.go, others, and near misses', () => {
    const files = [
      'handler.go:153',
      'handler.go:143',
      'handler.go:1',
      'handler.go:',
      'handler.go',
      'handler.go:12a',
      'handler.gox:1',
      'xhandler.go:1',
      'handler.g:1',
      'pathrecorder.go:247',
      'pathrecorder.go:',
      'pathrecorder.go',
      'pathrecorder.gox:1',
      'httplog.go:132',
      'httplog.gx:132',
      'status.go:71',
      'controller.go:611',
      'handler.go:153]x',
      'handler.go:153 ',
    ];
    const variants = files.flatMap((file) => [
      (ms: number) => docker(head(ms, file) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms)),
      (ms: number) => docker(head(ms, file) + recorderMsg('kube-aggregator', HOT_NODE), stamp(ms)),
      (ms: number) =>
        wrap(httplogText(ms, 'PUT', HOT_NODE).replace('httplog.go:132', file), 'docker-json', ms),
    ]);
    variants.push((ms) => wrap(httplogText(ms, 'GET', `${PODS}?watch=true`), 'docker-json', ms));
    variants.push((ms) => wrap(httplogText(ms, 'PATCH', HOT_NODE), 'docker-json', ms));
    compareAllWays(family(variants));
  });

  test('malformed klog headers: thread ids, spaces, missing "] ", broken positions', () => {
    const threads = [
      '       1',
      '1',
      ' 1',
      '      12345',
      '             1',
      '              1',
      '               1',
      '                1',
      '                 1',
      '                    1',
      '      1x',
      '       a',
      '      -1',
      '       ',
      '      1\\t',
      ' 123456789012345',
      ' 1234567890123456',
    ];
    const variants: ((ms: number) => string)[] = threads.map(
      (thread) => (ms) =>
        docker(head(ms, 'handler.go:153', thread) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms)),
    );
    const valid = (ms: number): string => head(ms) + handlerMsg('kube-aggregator', 'PATCH', HOT_NODE);
    const damage = [
      (t: string) => t.replace('] ', ']'),
      (t: string) => t.replace('] ', ' '),
      (t: string) => t.replace('153] ', '153]  '),
      (t: string) => `${t.slice(0, 5)}x${t.slice(6)}`,
      (t: string) => `${t.slice(0, 8)}x${t.slice(9)}`,
      (t: string) => `W${t.slice(1)}`,
      (t: string) => `x${t.slice(1)}`,
      (t: string) => t.slice(1),
      (t: string) => ` ${t}`,
      (t: string) => t.replace('kube-aggregator: ', 'kube-aggregator:'),
      (t: string) => t.replace('kube-aggregator: ', 'kube-aggregator '),
      (t: string) => t.replace('PATCH \\"', 'PATCH  \\"'),
      (t: string) => t.replace('PATCH \\"', 'PATCH "'),
      (t: string) => t.replace(' satisfied by', ' satisfied'),
      (t: string) => t.replace(' satisfied by', ' satisfied  by'),
      (t: string) => t.replace(' satisfied by nonGoRestful', ' satisfied by'),
      (t: string) => t.replace(' satisfied by nonGoRestful', ''),
    ];
    for (const d of damage) variants.push((ms) => docker(d(valid(ms)), stamp(ms)));
    compareAllWays(family(variants));
  });

  test('time stamps of every shape', () => {
    const ms0 = T0 + 5 * MINUTE + 37_495;
    const stamps: ((ms: number) => string)[] = [
      (ms) => stamp(ms, -1),
      (ms) => stamp(ms, 0),
      ...Array.from({ length: 20 }, (_, i) => (ms: number) => stamp(ms, i + 1)),
      (ms) => stamp(ms, 9, 'z'),
      (ms) => stamp(ms, 9, '+02:00'),
      (ms) => stamp(ms, 9, '-05:30'),
      (ms) => stamp(ms, 9, '+00:00'),
      (ms) => stamp(ms, 9, '+0200'),
      (ms) => stamp(ms, -1, '+02:00'),
      (ms) => stamp(ms, 9, ''),
      (ms) => stamp(ms, 9, 'ZZ'),
      (ms) => stamp(ms, 9, 'Zjunk'),
      (ms) => stamp(ms, 9, 'Z '),
      (ms) => `${stamp(ms, 9)}.5Z`,
      (ms) => stamp(ms, 9).replace('T', 't'),
      (ms) => stamp(ms, 9).replace('T', ' '),
      (ms) => stamp(ms, 9).replace('T', '_'),
      (ms) => stamp(ms, 9).replace('.', ','),
      (ms) => stamp(ms, 9).replace(/\.(\d)/, '.x'),
      (ms) => stamp(ms, 9).replace(/^\d{4}/, '0000'),
      (ms) => stamp(ms, 9).replace(/^\d{4}/, '9999'),
      (ms) => stamp(ms, 9).replace(/^\d{4}/, '20x2'),
      (ms) => stamp(ms, 9).replace(/-\d\d-/, '-00-'),
      (ms) => stamp(ms, 9).replace(/-\d\d-/, '-13-'),
      (ms) => stamp(ms, 9).replace(/-\d\dT/, '-00T'),
      (ms) => stamp(ms, 9).replace(/-\d\dT/, '-32T'),
      (ms) => stamp(ms, 9).replace(/-\d\d-\d\dT/, '-02-30T'),
      (ms) => stamp(ms, 9).replace(/-\d\d-\d\dT/, '-02-29T'),
      (ms) => stamp(ms, 9).replace(/-\d\d-\d\dT/, '-04-31T'),
      (ms) => stamp(ms, 9).replace(/T\d\d:/, 'T24:'),
      (ms) => stamp(ms, 9).replace(/T\d\d:/, 'T25:'),
      (ms) => stamp(ms, 9).replace(/T\d\d:/, 'T23:'),
      (ms) => stamp(ms, 9).replace(/:\d\d:/, ':60:'),
      (ms) => stamp(ms, 9).replace(/:\d\d\./, ':60.'),
      (ms) => stamp(ms, 9).replace(/:\d\d\./, ':61.'),
      (ms) => stamp(ms, 9).replace(/:\d\d\./, ':59.'),
      (ms) => stamp(ms, 9).replace(/:\d\d\./, ':5.'),
      (ms) => stamp(ms, 9).slice(0, 18),
      (ms) => stamp(ms, 9).slice(0, 19),
      (ms) => stamp(ms, -1).slice(1),
    ];
    const variants = stamps.flatMap((s) => [
      (ms: number) => dockerHandler(ms0 + (ms - T0), 'kube-apiserver', 'PUT', HOT_NODE, s(ms0 + (ms - T0))),
      (ms: number) => dockerHandler(ms, 'kube-aggregator', 'PATCH', POD, s(ms)),
      (ms: number) =>
        dockerRecorder(ms, 'kube-aggregator', POD).replace(/"time":"[^"]*"/, `"time":"${s(ms)}"`),
    ]);
    // Fields after the time, and the time field not last.
    variants.push(
      (ms) => docker(head(ms) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms), ',"x":1'),
      (ms) => docker(head(ms) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms), ',"x":"y"'),
      (ms) => docker(head(ms) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms), ',"time":"x"'),
      (ms) =>
        docker(
          head(ms) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE),
          stamp(ms),
          `,"time":"${stamp(ms + 5000)}"`,
        ),
      (ms) => docker(head(ms) + handlerMsg('kube-apiserver', 'PUT', HOT_NODE), stamp(ms), ' '),
      (ms) =>
        `{"log":"${head(ms)}${handlerMsg('kube-apiserver', 'PUT', HOT_NODE)}\\n","time":"${stamp(ms)}","stream":"stderr"}`,
      (ms) =>
        `{"log":"${head(ms)}${handlerMsg('kube-apiserver', 'PUT', HOT_NODE)}\\n","time":"${stamp(ms)}"}`,
      (ms) => `{"log":"${head(ms)}${handlerMsg('kube-apiserver', 'PUT', HOT_NODE)}","time":"${stamp(ms)}"}`,
      (ms) =>
        `{"log":"${head(ms)}${handlerMsg('kube-apiserver', 'PUT', HOT_NODE)}\\n" ,"time":"${stamp(ms)}"}`,
      (ms) =>
        `{"log":"${head(ms)}${handlerMsg('kube-apiserver', 'PUT', HOT_NODE)}\\n","time": "${stamp(ms)}"}`,
    );
    compareAllWays(family(variants));
  });

  test('stamps of the second before (read from what the kernel kept of it): every fraction, other keys, 1970 first', () => {
    // A new kernel starts as if it had read a stamp of 1970-01-01T00:00:00.
    const epoch = Date.parse('1970-01-01T00:00:00Z');
    const ms0 = T0 + 7 * MINUTE + 12_345;
    const lines = [
      dockerHandler(epoch + 5, 'kube-apiserver', 'PUT', HOT_NODE),
      dockerHandler(epoch + 6, 'kube-apiserver', 'PUT', HOT_NODE, stamp(epoch + 6, 3)),
      dockerHandler(ms0, 'kube-apiserver', 'PUT', HOT_NODE),
    ];
    for (let fraction = -1; fraction <= 12; fraction++) {
      lines.push(
        dockerHandler(
          ms0 + fraction + 2,
          'kube-aggregator',
          'PATCH',
          POD,
          stamp(ms0 + fraction + 2, fraction),
        ),
      );
    }
    const same = stamp(ms0 + 40);
    lines.push(
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same).replace('"time":', '"timE":'),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same).replace('"time":"', '"time":"x'),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same).replace(',"time":', '"time":'),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same.replace('.', '0')),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same.replace('Z', '')),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), same.replace('Z', '"Z')),
      docker(head(ms0) + handlerMsg('kube-apiserver', 'PUT', POD), `${same.slice(0, 20)}12"45Z`),
      dockerHandler(ms0 + 1000, 'kube-apiserver', 'PUT', POD, stamp(ms0 + 1000, 4)),
      dockerHandler(ms0 + 1001, 'kube-apiserver', 'PUT', POD, stamp(ms0 + 1001, 5)),
    );
    compareAllWays(log(lines));
  });

  test('CRLF endings, short lines, lines with no "} end, truncated lines', () => {
    const full = dockerHandler(T0 + 1234, 'kube-apiserver', 'PUT', HOT_NODE);
    const out: string[] = [];
    out.push(...anchors(T0, 0));
    // The same line cut at every length, each cut a line of its own.
    for (let cut = 0; cut <= full.length; cut++) out.push(full.slice(0, cut), ...anchors(T0 + cut, cut));
    const crlf = anchors(T0 + 5000, 3).map((l) => `${l}\r`);
    out.push(...crlf, `${full}\r\r`, `${full} `, `${full}}`, `${full.slice(0, -1)}\\"}`);
    out.push('{"log":"', '{"log":""}', '{"log":"x","time":"2022-05-07T08:00:00Z"}', '{"log":"x"}', '{}', '');
    out.push(`{"log":"${'x'.repeat(40)}","time":"${stamp(T0)}"}`);
    compareAllWays(log(out));
  });
});

describe('mixed files', () => {
  /** Docker lines among CRI (with P partials), plain klog, httplog and audit lines. */
  function mixed(seed: number, requests: number, startMs = T0, stepMs = 700): Buffer {
    const rand = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[randInt(rand, 0, items.length - 1)]!;
    const out: string[] = [];
    const ref = {
      resource: 'pods',
      namespace: 'cattle-system',
      name: 'cattle-node-agent-x7k2p',
      apiVersion: 'v1',
    };
    for (let i = 0; i < requests; i++) {
      const ms = startMs + i * stepMs;
      const path = pick(OBJECT_PATHS);
      const verb = pick(['PUT', 'PATCH', 'GET', 'POST', 'DELETE']);
      switch (randInt(rand, 0, 9)) {
        case 0:
        case 1:
        case 2:
          for (const c of COMPONENTS) {
            out.push(dockerHandler(ms, c, verb, path), dockerRecorder(ms, c, path));
          }
          break;
        case 3:
          out.push(wrap(handlerText(ms, pick(COMPONENTS), verb, path), 'cri', ms));
          out.push(wrap(pathrecorderText(ms, 'kube-aggregator', path), 'cri', ms));
          break;
        case 4: {
          const text = handlerText(ms, pick(COMPONENTS), verb, path);
          out.push(...criPartials(text, ms, [randInt(rand, 1, 40), randInt(rand, 41, text.length - 1)]));
          // A Docker line between a P line and its F line.
          if (rand() < 0.5) out.splice(out.length - 1, 0, dockerHandler(ms, 'kube-apiserver', verb, path));
          break;
        }
        case 5:
          out.push(wrap(handlerText(ms, pick(COMPONENTS), verb, path), 'klog', ms));
          break;
        case 6:
          out.push(wrap(httplogText(ms, verb, path), pick(['klog', 'cri', 'docker-json'] as const), ms));
          break;
        case 7:
          out.push(auditLine('RequestReceived', 'update', ref, ms, `a${i}`));
          out.push(
            auditLine('ResponseComplete', pick(['update', 'get', 'patch', 'watch']), ref, ms, `a${i}`),
          );
          break;
        case 8:
          out.push(
            wrap(
              'I0507 08:24:37.000001       1 controller.go:611] quota evaluator',
              pick(['klog', 'docker-json']),
              ms,
            ),
          );
          break;
        default:
          out.push(dockerHandler(ms, pick(COMPONENTS), verb, `${path}?timeout=${randInt(rand, 1, 3)}s`));
      }
    }
    return log(out, '\n');
  }

  test.each([1, 2, 3])('seed %i: whole, small chunks, random reads', (seed) => {
    const bytes = mixed(seed, 800);
    const { kernel, reference } = compareAllWays(bytes, {}, seed);
    expect(kernel.tap.accepted).toBeGreaterThan(0);
    expect(kernel.tap.handedBack).toBeGreaterThan(0);
    expect(Object.keys(reference.data.formats).sort()).toEqual(['audit', 'cri', 'docker-json', 'klog']);
  });

  test('sinceMs in the middle of a mixed log', () => {
    const bytes = mixed(4, 800);
    compare(bytes, { sinceMs: T0 + 400 * 700 + 123 });
    compare(bytes, { sinceMs: T0 + 400 * 700 + 123 }, [{ kind: 'read', seed: 4, maxRead: 3000 }]);
  });

  test('a log over midnight and more than a day: the per-minute window slides', () => {
    // 1600 minutes of writes to one object, a request every 20 s, from 23:00 to the day after next.
    const start = Date.parse('2022-05-07T23:00:00Z');
    const bytes = mixed(5, 4800, start, 20_000);
    const { reference } = compare(bytes, {}, [{ kind: 'read', seed: 5, maxRead: 1 << 20 }]);
    const objects = reference.data.handlers.flatMap(([, c]) => c.objects) as { minutes: number }[];
    expect(Math.max(...objects.map((o) => o.minutes))).toBe(1440);
    compare(bytes, { maxMinutes: 30 }, [{ kind: 'push', sizes: [128 << 10] }]);
    compare(bytes, { sinceMs: start + 900 * MINUTE });
  });
});

describe('more paths than the kernel keeps', () => {
  test('40,000 distinct objects, several requests each: the path table fills and is cleared', () => {
    // Three rounds over the same 40,000 paths (the table is cleared within each): a PUT, a GET
    // from another component, and a PUT from the first one again, to the same tally.
    const out: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40_000; i++) {
        const ms = T0 + round * 3_600_000 + i * 80;
        const path = `/api/v1/namespaces/n${i % 7}/pods/p-${i}`;
        const component = COMPONENTS[(i + (round === 1 ? 1 : 0)) % 3]!;
        out.push(dockerHandler(ms, component, round === 1 ? 'GET' : 'PUT', path));
      }
    }
    const { kernel, reference } = compare(log(out), {}, [{ kind: 'read', seed: 7, maxRead: 1 << 20 }]);
    expect(kernel.tap.accepted).toBeGreaterThan(100_000);
    expect(reference.summary.distinctObjects).toBeGreaterThan(13_000);
    const tallies = reference.data.handlers.flatMap(([, c]) => c.objects) as { verbs: number[] }[];
    expect(tallies.filter((t) => t.verbs[3] === 2)).toHaveLength(40_000);
  });

  test('long distinct paths: the path arena (4 MiB) fills first', () => {
    const out: string[] = [];
    const filler = 'x'.repeat(180);
    // About 220 bytes a path: the arena is full after some 19,000 of them.
    for (let i = 0; i < 21_000; i++) {
      const ms = T0 + i * 50;
      out.push(
        dockerHandler(
          ms,
          'kube-apiserver',
          i % 3 ? 'PUT' : 'GET',
          `/api/v1/namespaces/n/configmaps/${filler}-${i}`,
        ),
      );
      if (i % 5 === 0) out.push(dockerHandler(ms, 'kube-apiserver', 'PATCH', HOT_NODE));
    }
    compare(log(out), {}, [{ kind: 'push', sizes: [1 << 20] }]);
  });
});

describe('long lines, the last line, ranges', () => {
  const valid = (ms: number): string => dockerHandler(ms, 'kube-apiserver', 'PUT', HOT_NODE);
  /** A valid request line, made `bytes` long by what follows its "satisfied by". */
  const padded = (ms: number, bytes: number): string => {
    const line = valid(ms);
    const at = line.indexOf('\\n"');
    return line.slice(0, at) + ' '.repeat(Math.max(0, bytes - line.length)) + line.slice(at);
  };
  const body = (): string[] => {
    const out: string[] = [];
    for (let i = 0; i < 40; i++) out.push(...anchors(T0 + i * 1000, i));
    out.splice(10, 0, padded(T0 + 10, 70_000));
    out.splice(30, 0, padded(T0 + 20, (1 << 20) + 100));
    out.splice(50, 0, padded(T0 + 30, (1 << 20) - 10));
    out.splice(70, 0, padded(T0 + 40, (3 << 20) + 5));
    out.splice(90, 0, padded(T0 + 50, 65_536), padded(T0 + 60, 65_537));
    // With its newline: the kernel's input area less a byte, exactly, and a byte more.
    out.splice(
      100,
      0,
      padded(T0 + 70, (1 << 20) - 2),
      padded(T0 + 80, (1 << 20) - 1),
      padded(T0 + 90, 1 << 20),
    );
    return out;
  };
  const bytes = log(body());
  const feeds: Feed[][] = [
    [{ kind: 'push' }],
    [{ kind: 'push', sizes: [128 << 10] }],
    [{ kind: 'push', sizes: [1, 65_536, 7, 1 << 20, 333_333] }],
    [{ kind: 'read', seed: 11, maxRead: 1 << 20 }],
    [{ kind: 'read', seed: 12, maxRead: 300_000 }],
    [{ kind: 'read', seed: 14, maxRead: 400_000, somePushes: true }],
  ];

  test.each([200, 64 << 10, 2 << 20, 4 << 20])('maxLineBytes %i, every way of feeding', (maxLineBytes) => {
    for (const feed of feeds) compare(bytes, { maxLineBytes }, feed);
  });

  test('a final line without a newline: short, over 1 MiB, over maxLineBytes', () => {
    for (const last of [
      valid(T0 + 99_000),
      padded(T0 + 99_000, (1 << 20) + 3),
      padded(T0 + 99_000, 70_000),
    ]) {
      const withLast = Buffer.concat([bytes.subarray(0, 200_000), Buffer.from(last)]);
      for (const maxLineBytes of [64 << 10, 2 << 20]) {
        for (const feed of feeds) compare(withLast, { maxLineBytes }, feed);
      }
    }
  });

  test('endRange() between ranges, each with an unfinished last line', () => {
    const cut = (at: number): number => bytes.indexOf(0x0a, at) - 40;
    const points = [0, cut(100_000), cut(1_500_000), cut(3_000_000), bytes.length];
    const ranges = points.slice(1).map((end, i) => bytes.subarray(points[i]!, end));
    for (const feed of feeds) compare(ranges, { maxLineBytes: 2 << 20 }, feed);
    compare(ranges, {}, [
      { kind: 'read', seed: 13, maxRead: 4096 },
      { kind: 'push', sizes: [3, 70_000] },
    ]);
  });
});

describe('seeded fuzz: random valid lines, random damage', () => {
  const COMPONENT_POOL = [
    ...COMPONENTS,
    ...COMPONENTS,
    ...Array.from({ length: 18 }, (_, i) => `extra-${i}`),
  ];
  const VERB_POOL = ['GET', 'GET', 'PUT', 'PUT', 'PATCH', 'POST', 'DELETE', 'WATCH', 'OPTIONS', 'get'];
  const PATH_POOL = [
    ...OBJECT_PATHS,
    `${PODS}?watch=true`,
    `${PODS}?labelSelector=a%3Db\\u0026watch=1`,
    `${HOT_NODE}?fieldManager=x\\u0026timeout=5s`,
    '/api/v1/watch/namespaces/x/pods/p',
    '/healthz',
    '/apis',
    '\\/api\\/v1\\/nodes\\/n',
  ];
  const INTERESTING = [0x22, 0x5c, 0x3a, 0x20, 0x3f, 0x2f, 0x30, 0x39, 0x0a, 0x7d, 0x75, 0x5d, 0x2e, 0x5a];

  function mutate(line: Buffer, rand: () => number): Buffer {
    const at = randInt(rand, 0, Math.max(0, line.length - 1));
    const byte =
      rand() < 0.6 ? INTERESTING[randInt(rand, 0, INTERESTING.length - 1)]! : randInt(rand, 0, 255);
    switch (randInt(rand, 0, 4)) {
      case 0: {
        const out = Buffer.from(line);
        out[at] = byte;
        return out;
      }
      case 1:
        return line.subarray(0, at);
      case 2:
        return Buffer.concat([line.subarray(0, at), Buffer.from([byte]), line.subarray(at)]);
      case 3:
        return Buffer.concat([line.subarray(0, at), line.subarray(at + randInt(rand, 1, 8))]);
      default:
        return Buffer.concat([
          line.subarray(0, at),
          Buffer.from(['\\n', '\\"', '\\u0026', '\\\\', '"'][randInt(rand, 0, 4)]!),
          line.subarray(at),
        ]);
    }
  }

  function fuzzLog(seed: number, count: number): Buffer {
    const rand = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[randInt(rand, 0, items.length - 1)]!;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const ms = T0 + i * 400 + randInt(rand, 0, 300);
      const component = pick(COMPONENT_POOL);
      const path = pick(PATH_POOL);
      const verb = pick(VERB_POOL);
      let text: string;
      switch (randInt(rand, 0, 9)) {
        case 0:
        case 1:
        case 2:
        case 3:
          text = dockerHandler(ms, component, verb, path, stamp(ms, randInt(rand, -1, 12)));
          break;
        case 4:
          text = dockerRecorder(ms, component, path);
          break;
        case 5:
          text = wrap(
            handlerText(ms, component, verb, path.replace(/\\u0026/g, '&')),
            pick(['cri', 'klog'] as const),
            ms,
          );
          break;
        case 6:
          text = wrap(
            httplogText(ms, verb, path.replace(/\\u0026/g, '&')),
            pick(['cri', 'klog', 'docker-json'] as const),
            ms,
          );
          break;
        case 7:
          text = auditLine(
            pick(['RequestReceived', 'ResponseComplete'] as const),
            'update',
            {
              resource: 'pods',
              namespace: 'x',
              name: 'p',
              apiVersion: 'v1',
            },
            ms,
          );
          break;
        case 8: {
          const partial = handlerText(ms, component, verb, '/api/v1/namespaces/x/pods/p');
          text = criPartials(partial, ms, [randInt(rand, 1, partial.length - 1)]).join('\n');
          break;
        }
        default:
          text = dockerHandler(ms, component, verb, path).replace(
            '       1 ',
            pick([' 1 ', '1 ', '                 1 ']),
          );
      }
      let line: Buffer = Buffer.from(text, 'latin1');
      if (rand() < 0.35) line = mutate(line, rand);
      if (rand() < 0.1) line = mutate(line, rand);
      parts.push(line, Buffer.from(rand() < 0.08 ? '\r\n' : '\n'));
    }
    return Buffer.concat(parts);
  }

  test.each([1, 2, 3, 4, 5, 6])('seed %i', (seed) => {
    const bytes = fuzzLog(seed, 3000);
    const { kernel } = compare(bytes, {}, [{ kind: 'push' }]);
    expect(kernel.tap.accepted).toBeGreaterThan(500);
    expect(kernel.tap.handedBack).toBeGreaterThan(500);
    compare(bytes, {}, [{ kind: 'push', sizes: [1, 2, 3, 4, 5, 6, 7], prefix: 20_000 }]);
    compare(bytes, {}, [{ kind: 'read', seed, maxRead: 70_000, peek: seed % 2 === 0 }]);
    compare(bytes, { sinceMs: T0 + 1500 * 400 }, [{ kind: 'push' }]);
  });
});

describe('CRI lines (RKE2, kubeadm), read by the kernel too', () => {
  const at = Date.parse('2022-05-07T08:24:37.495Z');
  const cri = (stampText: string, stream: string, tag: string, message: string): string =>
    `${stampText} ${stream} ${tag} ${message}`;
  const handlerLine = (ms: number, component: string, verb: string, path: string): string =>
    head(ms) + `${component}: ${verb} "${path}" satisfied by nonGoRestful`;

  test('a generated RKE2 log (the seeded generator, CRI format)', async () => {
    const chunks: Buffer[] = [];
    await generateApiserverLog(
      { ...DEFAULT_GEN_OPTIONS, format: 'cri', sizeBytes: 600_000, seed: 7 },
      async (chunk) => {
        chunks.push(Buffer.from(chunk));
      },
    );
    const { kernel } = compareAllWays(Buffer.concat(chunks));
    expect(kernel.summary.formats).toHaveProperty('cri');
    // Read by the kernel, not handed back: all but the few lines that are no request line.
    expect(kernel.tap.accepted).toBeGreaterThan(0.9 * kernel.summary.linesRead);
  });

  test('stamps, streams, tags and messages of every shape', () => {
    const message = handlerLine(at, 'kube-aggregator', 'PUT', POD);
    const stamps = [
      '2022-05-07T08:24:37.495902397Z',
      '2022-05-07T08:24:37Z',
      '2022-05-07T08:24:37.Z',
      '2022-05-07T08:24:37.4Z',
      '2022-05-07T08:24:37.495902397123Z',
      '2022-05-07T08:24:37.495z',
      '2022-05-07T08:24:37.495+02:00',
      '2022-05-07T08:24:37.495Zjunk',
      '2022-13-07T08:24:37.495Z',
      '2022-05-07T24:24:37.495Z',
      '2022-05-07 08:24:37.495Z',
      '2022-05-07T08:24:60.495Z',
      `2022-05-07T08:24:37.${'9'.repeat(30)}Z`,
      'x022-05-07T08:24:37.495Z',
    ];
    const lines: string[] = [];
    for (const stampText of stamps) lines.push(cri(stampText, 'stderr', 'F', message));
    for (const stream of ['stdout', 'stderr', 'stdxxx', 'stderrr', 'std', 'STDERR']) {
      lines.push(cri(stamps[0]!, stream, 'F', message));
    }
    for (const tag of ['F', 'f', 'X', 'FF', '']) lines.push(cri(stamps[0]!, 'stderr', tag, message));
    lines.push(`${stamps[0]}  stderr F ${message}`, `${stamps[0]} stderr  F ${message}`);
    for (const first of ['I', 'W', 'E', 'F', 'i', 'X', ' ', '0']) {
      lines.push(cri(stamps[0]!, 'stderr', 'F', first + message.slice(1)));
    }
    lines.push(cri(stamps[0]!, 'stderr', 'F', `${message}\r`));
    lines.push(cri(stamps[0]!, 'stderr', 'F', 'I0507 08:24:37.000001       1 controller.go:611] quota'));
    compareAllWays(log(lines));
  });

  test('paths: quotes, backslashes, & and \\u0026 queries, the same path from Docker and CRI lines', () => {
    const lines: string[] = [];
    const paths = [
      POD,
      `${POD}?timeout=10s&watch=true`,
      `${POD}?timeout=10s\\u0026watch=true`,
      `${POD}\\"x`,
      `${POD}/sta"tus`,
      `${POD}?a=\\`,
      PODS,
      '/healthz',
    ];
    for (const path of paths) {
      lines.push(dockerHandler(at, 'kube-aggregator', 'GET', path));
      lines.push(cri(stamp(at), 'stderr', 'F', handlerLine(at, 'kube-aggregator', 'GET', path)));
      lines.push(
        cri(
          stamp(at),
          'stdout',
          'F',
          head(at, 'pathrecorder.go:247') + `kube-aggregator: "${path}" satisfied by prefix /api/`,
        ),
      );
      lines.push(dockerHandler(at, 'kube-aggregator', 'GET', path));
    }
    compareAllWays(log(lines));
  });

  test('partial lines: P lines of both streams, their F lines, kernel lines between, a range ending inside', () => {
    const text = handlerLine(at, 'kube-apiserver', 'PUT', POD);
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ms = at + i * 1000;
      const stream = i % 2 ? 'stdout' : 'stderr';
      lines.push(cri(stamp(ms), stream, 'P', text.slice(0, 30)));
      // Lines the kernel reads, of the other stream and of the same one, before the F line.
      lines.push(
        cri(
          stamp(ms),
          stream === 'stdout' ? 'stderr' : 'stdout',
          'F',
          handlerLine(ms, 'kube-aggregator', 'PUT', POD),
        ),
      );
      lines.push(dockerHandler(ms, 'kube-aggregator', 'PUT', POD));
      lines.push(cri(stamp(ms), stream, 'F', text.slice(30)));
      lines.push(cri(stamp(ms), stream, 'F', handlerLine(ms, 'kube-aggregator', 'GET', POD)));
    }
    // A P line the TypeScript scanner takes (a zone with trailing bytes) and the kernel does not:
    // its F line must still be joined to it.
    lines.push(cri('2022-05-07T08:25:00.1Zjunk', 'stderr', 'P', text.slice(0, 40)));
    lines.push(cri(stamp(at), 'stderr', 'F', text.slice(40)));
    lines.push(cri(stamp(at), 'stderr', 'P', text.slice(0, 50)));
    const bytes = log(lines);
    const { kernel } = compareAllWays(bytes);
    expect(kernel.tap.accepted).toBeGreaterThan(40);
    const cut = bytes.length - 20;
    compare([bytes.subarray(0, cut), bytes.subarray(cut)]);
  });
});

describe('httplog lines (-v=5 logs have them beside the satisfied-by lines), read by the kernel too', () => {
  /** An httplog message as it sits inside the Docker string: its quotes escaped. */
  const httplogMsg = (verb: string, uri: string, tail = ' latency=\\"2.31ms\\" resp=200'): string =>
    `\\"HTTP\\" verb=\\"${verb}\\" URI=\\"${uri}\\"${tail}`;
  const dockerHttplog = (ms: number, verb: string, uri: string, tail?: string): string =>
    docker(head(ms, 'httplog.go:132', '    2300') + httplogMsg(verb, uri, tail), stamp(ms));

  test.each(['docker-json', 'cri'] as const)(
    'a generated %s log with both kinds of request line',
    async (format) => {
      const chunks: Buffer[] = [];
      await generateApiserverLog(
        { ...DEFAULT_GEN_OPTIONS, format, sizeBytes: 600_000, seed: 11, httplog: true },
        async (chunk) => {
          chunks.push(Buffer.from(chunk));
        },
      );
      const { kernel } = compareAllWays(Buffer.concat(chunks));
      expect(kernel.summary.signal).toBe('httplog');
      expect(kernel.summary.signalsSeen.httplog).toBeGreaterThan(0);
      expect(kernel.tap.accepted).toBeGreaterThan(0.9 * kernel.summary.linesRead);
    },
  );

  test('verbs, URIs and what follows them, near misses included', () => {
    const verbs = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'LIST', 'WATCH', 'PUTX', 'GE', 'PATC', 'put', ''];
    const uris = [
      HOT_NODE,
      `${HOT_NODE}?timeout=10s`,
      `${PODS}?watch=true`,
      `${PODS}?limit=500\\u0026resourceVersion=0`,
      '/healthz',
      '/api/v1/namespaces/x/pods/p/log',
      `${HOT_NODE}\\\\x`,
      `${HOT_NODE}"`,
    ];
    const tails = [
      undefined,
      ' resp=200',
      ' latency=\\"1ms\\" resp=',
      ' latency=\\"1ms\\" resp=409 statusStack=\\"x\\"',
      ' latency=\\"1ms\\"',
      ' latency=\\"1ms\\" xresp=200',
      ' latency=\\"1ms\\" resp 200',
      '',
    ];
    const variants: ((ms: number) => string)[] = [];
    for (const verb of verbs) for (const uri of uris) variants.push((ms) => dockerHttplog(ms, verb, uri));
    for (const tail of tails) variants.push((ms) => dockerHttplog(ms, 'PUT', HOT_NODE, tail));
    variants.push((ms) => dockerHttplog(ms, 'PUT', `${HOT_NODE}?q= resp=1`, ' latency=\\"1ms\\"'));
    variants.push((ms) =>
      docker(
        head(ms, 'httplog.go:132') + `\\"HTTP\\" verb=\\"PUT\\"  URI=\\"${HOT_NODE}\\" resp=200`,
        stamp(ms),
      ),
    );
    variants.push((ms) =>
      docker(
        head(ms, 'httplog.go:132') + `\\"HTTPS\\" verb=\\"PUT\\" URI=\\"${HOT_NODE}\\" resp=200`,
        stamp(ms),
      ),
    );
    variants.push((ms) =>
      docker(head(ms, 'httplog.go:132') + `"HTTP" verb="PUT" URI="${HOT_NODE}" resp=200`, stamp(ms)),
    );
    variants.push((ms) => docker(head(ms, 'httplog.go:') + httplogMsg('PUT', HOT_NODE), stamp(ms)));
    variants.push((ms) => docker(head(ms, 'httplog.go:13x') + httplogMsg('PUT', HOT_NODE), stamp(ms)));
    // A "resp" in another field than the log string.
    variants.push((ms) =>
      docker(head(ms, 'httplog.go:132') + httplogMsg('PUT', HOT_NODE, ''), stamp(ms), ',"x":" resp=1"'),
    );
    variants.push((ms) => wrap(httplogText(ms, 'PUT', `${HOT_NODE}?fieldManager=x&timeout=10s`), 'cri', ms));
    variants.push((ms) => wrap(httplogText(ms, 'DELETE', POD), 'cri', ms));
    const { kernel } = compareAllWays(family(variants));
    expect(kernel.tap.accepted).toBeGreaterThan(0);
  });

  test('watches that each name a new resourceVersion: counted as the reference does, one kernel path per kind of query', () => {
    // As a -v=5 log has them: every watch's URI differs, but only whether its query asks for a
    // watch (watch=true, watch=1, also inside another value, as watchQuery reads it) counts.
    const queries = [
      (i: number) => `?allowWatchBookmarks=true\\u0026resourceVersion=${15_000_000 + i}\\u0026watch=true`,
      (i: number) => `?resourceVersion=${i}\\u0026watch=1`,
      (i: number) => `?resourceVersion=${i}\\u0026watch=10`,
      (i: number) => `?resourceVersion=${i}\\u0026watch=false`,
      (i: number) => `?resourceVersion=${i}\\u0026timeout=5m`,
      (i: number) => `?labelSelector=watch%3Dtrue\\u0026resourceVersion=${i}`,
      (i: number) => `?watch\\u003dtrue\\u0026resourceVersion=${i}`,
      (i: number) => `?resourceVersion=${i}\\u0026watch=tru`,
      (i: number) => `??watch=true\\u0026rv=${i}`,
      (i: number) => `?rv=${i}\\u0026watch=`,
    ];
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const ms = T0 + i * 40;
      const path = i % 2 ? PODS : POD;
      const uri = path + queries[i % queries.length]!(i);
      lines.push(dockerHttplog(ms, 'GET', uri));
      lines.push(dockerHandler(ms, 'kube-apiserver', 'GET', uri));
      lines.push(wrap(httplogText(ms, 'GET', uri.replaceAll('\\u0026', '&')), 'cri', ms));
      if (i % 7 === 0) lines.push(dockerHttplog(ms, 'PUT', HOT_NODE));
    }
    const bytes = log(lines);
    const { kernel } = compareAllWays(bytes);
    expect(kernel.tap.accepted).toBeGreaterThan(0.95 * kernel.summary.linesRead);
    const recording = new LogScanner({ referenceMs: REF_2022, recordSlots: true });
    recording.push(bytes);
    recording.end();
    void recording.counts;
    const { records } = recording.recordedSlots();
    // Two paths, each with a watch query or with another, and the hot node: five.
    const paths = records.reduce((n, r) => n + r.pathLengths.length, 0);
    expect(paths).toBe(5);
  });

  test('httplog lines only, before and after sinceMs, and with more than four components', () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const ms = T0 + i * 700;
      lines.push(dockerHttplog(ms, ['PUT', 'GET', 'PATCH'][i % 3]!, i % 2 ? HOT_NODE : `${PODS}?watch=true`));
    }
    compareAllWays(log(lines), { sinceMs: T0 + 60_000 });
    const mixed: string[] = [];
    for (let i = 0; i < 200; i++) {
      const ms = T0 + i * 700;
      // Five components come first: the httplog lines' component lies past the kernel's slots.
      mixed.push(dockerHandler(ms, `component-${i % 5}`, 'PUT', HOT_NODE));
      if (i > 10) mixed.push(dockerHttplog(ms, 'PUT', HOT_NODE));
    }
    const { kernel } = compareAllWays(log(mixed));
    expect(kernel.summary.signalsSeen.httplog).toBe(189);
  });
});

describe('kernel templates (messages read as an earlier one of the same shape)', () => {
  test('the same header but for the time digits, garbage in them, another thread id, file, line, severity or component', () => {
    const at = Date.parse('2022-05-07T08:24:37.495Z');
    const learnt = (ms: number): string[] => [
      dockerHandler(ms, 'kube-aggregator', 'PUT', POD),
      dockerRecorder(ms, 'kube-aggregator', POD),
      docker(head(ms, 'handler.go:143') + handlerMsg('kube-apiserver', 'PUT', POD), stamp(ms)),
    ];
    // The klog time's digits are not read in a Docker line (its time is the wrapper's): any bytes
    // there, a newline aside, read the same; every other byte of the header is compared.
    const garbled = (ms: number, fill: string): string =>
      docker(
        `I${fill.repeat(4)} ${fill.repeat(2)}:${fill.repeat(12)}       1 handler.go:153] ` +
          handlerMsg('kube-aggregator', 'GET', POD),
        stamp(ms),
      );
    const lines = [
      ...learnt(at),
      garbled(at + 1, 'x'),
      garbled(at + 2, ' '),
      garbled(at + 3, '\\"'.slice(0, 1)),
      ...learnt(at + 4),
      docker(
        head(at + 5, 'handler.go:153', '      12') + handlerMsg('kube-aggregator', 'PUT', POD),
        stamp(at + 5),
      ),
      docker(head(at + 6, 'handler.go:154') + handlerMsg('kube-aggregator', 'PUT', POD), stamp(at + 6)),
      docker(
        head(at + 7, 'handler.go:153', '       1', 'W') + handlerMsg('kube-aggregator', 'PUT', POD),
        stamp(at + 7),
      ),
      docker(head(at + 8, 'pathrecorder.go:247') + recorderMsg('kube-aggregatox', POD), stamp(at + 8)),
      docker(head(at + 9, 'handler.go:153') + handlerMsg('kube-aggregatorr', 'PUT', POD), stamp(at + 9)),
      docker(head(at + 10, 'handler.go:153') + handlerMsg('kube-aggregato', 'PUT', POD), stamp(at + 10)),
      docker(head(at + 11, 'httplog.go:132') + handlerMsg('kube-aggregator', 'PUT', POD), stamp(at + 11)),
      docker(
        `I0507 08:24:37.49512x       1 handler.go:153] ` + handlerMsg('kube-aggregator', 'PUT', POD),
        stamp(at + 12),
      ),
      docker(
        `I0507 08:24:37.4951234      1 handler.go:153] ` + handlerMsg('kube-aggregator', 'PUT', POD),
        stamp(at + 13),
      ),
      docker(
        `I0507x08:24:37.495123       1 handler.go:153] ` + handlerMsg('kube-aggregator', 'PUT', POD),
        stamp(at + 14),
      ),
      ...learnt(at + 15),
    ];
    compareAllWays(log(lines));
    // And with more shapes than the kernel keeps templates of (16): each verb, file line and component in turn.
    const many: string[] = [];
    for (let i = 0; i < 200; i++) {
      const component = `component-${i % 11}`;
      const verb = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'][i % 5]!;
      many.push(
        docker(
          head(at + i, `handler.go:${140 + (i % 13)}`) + handlerMsg(component, verb, `${POD}-${i % 7}`),
          stamp(at + i),
        ),
      );
      if (i % 3 === 0)
        many.push(docker(head(at + i, 'pathrecorder.go:247') + recorderMsg(component, POD), stamp(at + i)));
    }
    compareAllWays(log(many));
  });
});

describe('kernel limits and scanner state', () => {
  test('short lines that fill the kernel event buffer within one 1 MiB window', () => {
    // After the first four components, every request line is an event of its own, and so is each
    // write whose slot moved on to another minute; an empty line after each is handed back.
    const short = (ms: number, component: string, path: string): string =>
      `{"log":"${head(ms, 'handler.go:1', ' 1')}${component}: PUT \\"${path}\\" satisfied by","time":"${stamp(ms, -1)}"}`;
    const out: string[] = ['c0', 'c1', 'c2', 'c3'].map((c) => short(T0, c, '/api/v1/pods/p0'));
    for (let i = 0; i < 24_000; i++) {
      const ms = T0 + i * 61_000;
      out.push(short(ms, i % 2 ? `e${4 + (i % 3)}` : 'c0', `/api/v1/pods/p${i % 50}`), '');
    }
    const bytes = log(out);
    expect(bytes.length).toBeGreaterThan(2 << 20);
    const { kernel } = compare(bytes);
    expect(kernel.tap.accepted).toBeGreaterThan(20_000);
    compare(bytes, {}, [{ kind: 'read', seed: 21, maxRead: 1 << 20 }]);
  });

  test('counts read after every push (the kernel slots taken mid-stream)', () => {
    compare(SAMPLE, {}, [{ kind: 'push', sizes: [50_000, 7, 123_456], peek: true }]);
    compare(SAMPLE, {}, [{ kind: 'read', seed: 22, maxRead: 200_000, peek: true }]);
  });

  test('two scanners fed in turn (the time parsers keep caches shared by every scanner)', () => {
    const bytes = Buffer.concat([SAMPLE.subarray(0, 400_000), family(anchors(T0, 0).map((l) => () => l))]);
    const scanners = [true, false].map((useKernel) => new LogScanner({ referenceMs: REF_2022, useKernel }));
    const rand = prng(23);
    for (let at = 0; at < bytes.length;) {
      const size = randInt(rand, 1, 3000);
      for (const scanner of scanners) scanner.push(bytes.subarray(at, at + size));
      at += size;
    }
    for (const scanner of scanners) scanner.end();
    const [kernel, reference] = scanners.map((s) => ({
      data: normalizeCounts(s.counts),
      summary: summarize(s.counts, {}),
    }));
    expect(kernel!.data).toEqual(reference!.data);
    expect(kernel!.summary).toEqual(reference!.summary);
  });

  test('sinceMs at a line, one ms either side, fractional, null, before the log, at its last line', () => {
    const out: string[] = [];
    for (let i = 0; i < 30; i++) {
      for (const c of COMPONENTS)
        out.push(dockerHandler(T0 + i * 1000, c, i % 2 ? 'PUT' : 'GET', OBJECT_PATHS[i % 7]!));
    }
    const bytes = log(out);
    for (const sinceMs of [T0 + 10_000, T0 + 9_999, T0 + 10_001, T0 + 10_000.5, null, 0, T0 + 29_000]) {
      // (After the last line: divergences found, B2.)
      compare(bytes, { sinceMs }, [{ kind: 'read', seed: 24, maxRead: 777 }]);
    }
  });
});

describe('per-minute windows whatever order the writes come in', () => {
  /** Writes to two objects through several paths, by kernel, handed-back and CRI lines, over days. */
  function writes(seed: number): Buffer {
    const rand = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[randInt(rand, 0, items.length - 1)]!;
    const paths = [
      POD,
      `${POD}?timeout=10s`,
      `${POD}?fieldManager=x\\u0026dryRun=All`,
      HOT_NODE,
      `${HOT_NODE}?x=1`,
    ];
    const out: string[] = [];
    let ms = Date.parse('2022-05-06T22:00:00Z');
    for (let i = 0; i < 1500; i++) {
      // Mostly forward a minute or so; now and then hours or days back or ahead.
      const r = rand();
      ms +=
        r < 0.9
          ? randInt(rand, 0, 120_000)
          : r < 0.95
            ? randInt(rand, -3, 3) * 86_400_000
            : randInt(rand, -30, 30) * 3_600_000;
      const path = pick(paths);
      const component = pick(['kube-apiserver', 'kube-apiserver', 'kube-aggregator']);
      const verb = pick(['PUT', 'PATCH', 'DELETE', 'GET']);
      switch (randInt(rand, 0, 5)) {
        case 0:
          out.push(`${dockerHandler(ms, component, verb, path)}\r`);
          break;
        case 1:
          out.push(wrap(handlerText(ms, component, verb, path.replace('\\u0026', '&')), 'cri', ms));
          break;
        default:
          out.push(dockerHandler(ms, component, verb, path));
      }
    }
    return log(out);
  }

  test.each([1, 2, 3, 4])('seed %i, maxMinutes 1440, 60 and 5', (seed) => {
    const bytes = writes(seed);
    for (const maxMinutes of [1440, 60, 5]) {
      compare(bytes, { maxMinutes }, [{ kind: 'read', seed, maxRead: 20_000, peek: seed % 2 === 0 }]);
    }
  });
});

/**
 * Inputs on which the kernel and the TypeScript scanner were found to differ: the smallest input
 * for each, kept as a test of its own. The notes say what differed, and at which commit.
 */
describe('divergences found', () => {
  const at = Date.parse('2022-05-07T08:24:37.495Z');

  test('A: a component name of exactly 64 bytes', () => {
    // At 33a348a the kernel counted one PUT for component 'aaa...a' (64 bytes) where the
    // TypeScript scanner, which looks for the colon within 64 bytes, skipped the line.
    compare(log([dockerHandler(at, 'a'.repeat(64), 'PUT', HOT_NODE)]));
  });

  test('A2: no colon within 64 bytes of the message, then a byte and a space', () => {
    // `<64 x>Y PUT \"...\"`: at 33a348a the kernel took the 64 bytes for a component.
    compare(
      log([
        docker(`${head(at)}${'x'.repeat(64)}Y PUT \\"${HOT_NODE}\\" satisfied by nonGoRestful`, stamp(at)),
      ]),
    );
  });

  test('A3: a pathrecorder.go line with a 64-byte component', () => {
    // At 33a348a a satisfied-by line for the kernel, a skipped line for the TypeScript scanner.
    compare(log([dockerRecorder(at, 'b'.repeat(64), HOT_NODE)]));
  });

  test('B: a component whose only requests name no object', () => {
    // At dbe6606: TypeScript handlers [['kube-apiserver', { requests: 0, objects: [] }]] (the
    // channel is made at the line), kernel handlers [] (made at the first request counted).
    compare(log([dockerHandler(at, 'kube-apiserver', 'GET', '/healthz')]));
  });

  test('B2: a component seen only before sinceMs', () => {
    // At dbe6606: the same empty channel, on the TypeScript side only.
    compare(log([dockerHandler(at, 'kube-apiserver', 'PUT', HOT_NODE)]), { sinceMs: at + 1 });
  });

  test('C: one object named by two paths of different refs', () => {
    // `.../nodes//machine-h46dc` and `.../nodes/machine-h46dc` are one key with two refs (name ''
    // and subresource 'machine-h46dc', or name 'machine-h46dc'); the tally keeps the ref of the
    // line that made it. At 33a348a the kernel made it at the first minute handed over (the third
    // line's), from the other path: ref, and the hot object's rancherNode, differed.
    const doubled = HOT_NODE.replace('/nodes/', '/nodes//');
    compare(
      log([
        dockerHandler(at, 'kube-apiserver', 'PUT', doubled),
        dockerHandler(at + 1000, 'kube-apiserver', 'PUT', HOT_NODE),
        dockerHandler(at + MINUTE, 'kube-apiserver', 'PUT', HOT_NODE),
      ]),
    );
  });

  test('D: writes to one object through two paths, more than 1440 minutes apart', () => {
    // At 33a348a the kernel handed a slot's minute over when that slot wrote in another minute
    // (or at the end): the minute of the path written once came after the later ones and fell out
    // of the window, where the TypeScript scanner slid the window over it. TypeScript: minuteStart
    // 1438 minutes before the first write through the second path, 1440 minutes; kernel: the last
    // two minutes only (writesPerMinute 1 against 2/1440).
    const start = Date.parse('2022-05-07T00:00:00Z');
    compare(
      log([
        dockerHandler(start, 'kube-apiserver', 'PUT', POD),
        dockerHandler(start + 2000 * MINUTE, 'kube-apiserver', 'PUT', `${POD}?timeout=10s`),
        dockerHandler(start + 2001 * MINUTE, 'kube-apiserver', 'PUT', `${POD}?timeout=10s`),
      ]),
    );
  });

  test('D2: a handed-back line far back in time among kernel lines of its object', () => {
    // The CRLF line is handed back and counted at once: at dbe6606 it made the tally, its minute
    // 20 years back opened the window, and the kernel's minutes, added later, slid it to 1440
    // minutes (minuteStart 2022-05-06T08:02). Line by line the TypeScript scanner drops the old
    // minute: minuteStart 2022-05-07T08:00, 2 minutes (writesPerMinute 1 against 2/1440). Found by
    // the fuzz (a year flipped).
    const line = (verb: string, time: string): string =>
      docker(head(at) + handlerMsg('kube-aggregator', verb, '/api/v1/nodes/n1'), time);
    compare(
      Buffer.from(
        `${line('PUT', '2022-05-07T08:00:10Z')}\n${line('DELETE', '2002-05-07T08:06:52Z')}\r\n` +
          `${line('PUT', '2022-05-07T08:01:10Z')}\n`,
      ),
    );
  });

  test('D3: a kernel write to a /watch/ path, then a CRI message whose P line is years later', () => {
    // The fuzz (seed 2, sinceMs pass) cut down to three lines. At dbe6606 the kernel kept the
    // 2022 minute in its slot while the TypeScript side counted the 2029 write; the 2022 minute
    // came after and was dropped (kernel: 1 minute at 2029; TypeScript: a 1440-minute window
    // ending at 2029).
    compare(
      Buffer.from(
        '{"log":"I0507 08:15:15.203123       1 handler.go:153] extra-14: PATCH \\"/api/v1/watch/namespaces/x/pods/p\\" satisfied by nonGoRestful\\n","stream":"stderr","time":"2022-05-07T08:15:15.2Z"}\n' +
          '2029-05-07T08:15:46.607000123Z stderr P I0507 08:15:46.607000\n' +
          '2022-05-07T08:15:46.607000123Z stderr F        1 handler.go:153] extra-14: PUT "/api/v1/namespaces/x/pods/p" satisfied by nonGoRestful\n',
      ),
      { sinceMs: T0 + 600_000 },
    );
  });

  test('E: pushRead(0) after a read that ended a line', () => {
    // At dbe6606: total is 0, input.lastIndexOf(NL, -1) searches from the end of the input area
    // and finds the newline of the bytes read before; they were counted twice, and `held` went
    // negative (end() then read most of the input area as one more line): linesRead 7 against 3.
    const bytes = log(anchors(at, 0));
    const kernel = new LogScanner({ referenceMs: REF_2022 });
    bytes.copy(kernel.readBuffer()!);
    kernel.pushRead(bytes.length);
    kernel.pushRead(0);
    kernel.end();
    const reference = new LogScanner({ referenceMs: REF_2022, useKernel: false });
    reference.push(bytes);
    reference.push(Buffer.alloc(0));
    reference.end();
    expect(normalizeCounts(kernel.counts)).toEqual(normalizeCounts(reference.counts));
  });

  test('E2: zero-byte reads among random reads of the sample log', () => {
    compare(SAMPLE.subarray(0, 200_000), {}, [{ kind: 'read', seed: 25, maxRead: 3000, zeroReads: true }]);
  });
});
