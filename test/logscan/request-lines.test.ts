/**
 * Request lines: the satisfied-by lines (up to six per request, counted once), the httplog lines,
 * and logs that hold several kinds of line for the same requests (each request counted once, the
 * summary naming the signal counted).
 */
import { describe, expect, test } from '@jest/globals';
import {
  inFormat,
  requestLogLines,
  type ApiserverLineKind,
  type ApiserverLogFormat,
  type LoggedRequest,
} from '../standin/apiserver-log.js';
import {
  HOT_NODE,
  auditLine,
  handlerText,
  httplogText,
  lines,
  objectOf,
  pathrecorderText,
  prng,
  randInt,
  scan,
  sixLines,
  verbTable,
  wrap,
  HOT_NODE_AUDIT_REF,
} from './helpers.js';

const T0 = Date.parse('2022-05-07T08:24:37.493Z');
const FORMATS: ApiserverLogFormat[] = ['klog', 'cri', 'docker-json'];

const request = (method: string, path: string): LoggedRequest => ({
  method,
  path,
  userAgent: 'rancher/v2.6.5 (linux/amd64) kubernetes/$Format',
  srcIP: '10.43.0.12:40312',
  status: 200,
});

/** The generator's lines for `reqs` (one every `stepMs`), in a format, joined as a file. */
function generated(
  reqs: LoggedRequest[],
  kinds: readonly ApiserverLineKind[],
  format: ApiserverLogFormat,
  stepMs = 100,
): { text: string; lineCount: number } {
  const out: string[] = [];
  reqs.forEach((req, i) => {
    const ms = T0 + i * stepMs;
    for (const { micros, text } of requestLogLines(req, kinds, ms))
      out.push(inFormat(text, ms, micros, format));
  });
  return { text: lines(...out), lineCount: out.length };
}

describe('satisfied-by lines (handler.go, pathrecorder.go)', () => {
  test.each(FORMATS)('one request leaves six lines and is counted once (%s)', (format) => {
    const { text, lineCount } = generated([request('PUT', HOT_NODE)], ['satisfied-by'], format);
    expect(lineCount).toBe(6);
    const { summary, counts } = scan(text);
    expect(summary).toMatchObject({
      signal: 'satisfied-by',
      signalsSeen: { 'satisfied-by': 6 },
      formats: { [format]: 6 },
      linesRead: 6,
      linesSkipped: 0,
      requestsCounted: 1,
      distinctObjects: 1,
    });
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 1 });
  });

  test('many requests from the generator: each counted once, by verb', () => {
    const rand = prng(7);
    const paths = [
      HOT_NODE,
      '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-abcde',
      '/api/v1/namespaces/cattle-system/configmaps/cattle-controllers',
    ];
    const verbs = ['PUT', 'PATCH', 'GET', 'DELETE'];
    const reqs: LoggedRequest[] = [];
    const expected: Record<string, Record<string, number>> = {};
    for (let i = 0; i < 300; i++) {
      const path = paths[randInt(rand, 0, paths.length - 1)]!;
      const verb = verbs[randInt(rand, 0, verbs.length - 1)]!;
      reqs.push(request(verb, path));
      const row = (expected[path] ??= {});
      row[verb] = (row[verb] ?? 0) + 1;
    }
    const { text, lineCount } = generated(reqs, ['satisfied-by'], 'docker-json');
    expect(lineCount).toBe(1800);
    const { summary, counts } = scan(text);
    expect(summary.requestsCounted).toBe(300);
    expect(summary.signalsSeen).toEqual({ 'satisfied-by': 1800 });
    expect(verbTable(counts)).toEqual(expected);
  });

  test('a request that only kube-aggregator and kube-apiserver log (a core resource) counts once', () => {
    const path = '/api/v1/namespaces/default/pods/web-0';
    const { summary, counts } = scan(
      lines(
        handlerText(T0, 'kube-aggregator', 'PATCH', path),
        pathrecorderText(T0, 'kube-aggregator', path),
        handlerText(T0, 'kube-apiserver', 'PATCH', path),
        pathrecorderText(T0, 'kube-apiserver', path),
      ),
    );
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([4, 0, 1]);
    expect(verbTable(counts)).toEqual({ [path]: { PATCH: 1 } });
  });

  test('requests of which only some components logged a line: the fullest component is counted', () => {
    // The log starts mid-request: the first request lost its kube-aggregator lines.
    const [, , ...tail] = sixLines(T0, 'PUT', HOT_NODE);
    const { summary, counts } = scan(
      lines(...tail, ...sixLines(T0 + 1000, 'PUT', HOT_NODE), ...sixLines(T0 + 2000, 'PUT', HOT_NODE)),
    );
    expect(summary.requestsCounted).toBe(3);
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 3 });
  });

  test('non-resource paths are request lines (not skipped) but address no object', () => {
    const { summary } = scan(
      lines(
        ...sixLines(T0, 'GET', '/healthz'),
        ...sixLines(T0, 'GET', '/apis'),
        ...sixLines(T0, 'GET', '/apis/management.cattle.io/v3'),
        ...sixLines(T0, 'GET', '/openapi/v2'),
      ),
    );
    expect(summary).toMatchObject({
      linesRead: 24,
      linesSkipped: 0,
      requestsCounted: 0,
      distinctObjects: 0,
      signal: null,
    });
  });

  test('reads: GET of a collection is LIST, ?watch=true and the /watch/ path are WATCH; queries dropped', () => {
    const { counts } = scan(
      lines(
        handlerText(T0, 'kube-aggregator', 'GET', '/api/v1/namespaces/x/pods?limit=500'),
        handlerText(T0, 'kube-aggregator', 'GET', '/api/v1/namespaces/x/pods?watch=true&resourceVersion=1'),
        handlerText(T0, 'kube-aggregator', 'GET', '/api/v1/watch/namespaces/x/pods'),
        handlerText(T0, 'kube-aggregator', 'GET', '/api/v1/namespaces/x/pods/p?resourceVersion=0'),
        handlerText(T0, 'kube-aggregator', 'POST', '/api/v1/namespaces/x/pods'),
        handlerText(T0, 'kube-aggregator', 'GET', '/api/v1/nodes/'),
      ),
    );
    expect(verbTable(counts)).toEqual({
      '/api/v1/namespaces/x/pods': { LIST: 1, WATCH: 2, POST: 1 },
      '/api/v1/namespaces/x/pods/p': { GET: 1 },
      '/api/v1/nodes': { LIST: 1 },
    });
  });
});

describe('httplog lines', () => {
  test.each(FORMATS)('the generator httplog line is one request (%s)', (format) => {
    const { text } = generated([request('PUT', HOT_NODE), request('PATCH', HOT_NODE)], ['httplog'], format);
    const { summary, counts } = scan(text);
    expect(summary).toMatchObject({
      signal: 'httplog',
      signalsSeen: { httplog: 2 },
      linesRead: 2,
      linesSkipped: 0,
      requestsCounted: 2,
    });
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 1, PATCH: 1 });
  });

  test('verbs, URIs with queries, any response code', () => {
    const { summary, counts } = scan(
      lines(
        httplogText(T0, 'PUT', HOT_NODE, 409),
        httplogText(T0, 'GET', '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes?limit=500'),
        httplogText(T0, 'WATCH', '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes?watch=true'),
        httplogText(T0, 'LIST', '/api/v1/pods?limit=500'),
        httplogText(T0, 'DELETE', '/api/v1/namespaces/x/pods/p', 404),
        httplogText(T0, 'POST', '/api/v1/namespaces/x/pods/p/eviction', 201),
      ),
    );
    expect(summary.requestsCounted).toBe(6);
    expect(verbTable(counts)).toEqual({
      [HOT_NODE]: { PUT: 1 },
      '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes': { LIST: 1, WATCH: 1 },
      '/api/v1/pods': { LIST: 1 },
      '/api/v1/namespaces/x/pods/p': { DELETE: 1 },
      '/api/v1/namespaces/x/pods/p/eviction': { POST: 1 },
    });
  });

  test('httplog lines without resp= or without quotes are skipped', () => {
    const good = httplogText(T0, 'PUT', HOT_NODE);
    const { summary } = scan(
      lines(
        good.replace(' resp=200', ''),
        good.replace('"HTTP"', 'HTTP'),
        good.replace('verb="PUT"', 'verb=PUT'),
        good.replace(`URI="${HOT_NODE}"`, `URI=${HOT_NODE}`),
      ),
    );
    expect(summary).toMatchObject({ linesRead: 4, linesSkipped: 4, requestsCounted: 0, signal: null });
  });
});

describe('several kinds of line for the same requests: each request counted once', () => {
  test.each(FORMATS)('satisfied-by and httplog together: seven lines, one request (%s)', (format) => {
    const reqs = Array.from({ length: 40 }, (_, i) => request(i % 4 ? 'PUT' : 'GET', HOT_NODE));
    const { text, lineCount } = generated(reqs, ['satisfied-by', 'httplog'], format);
    expect(lineCount).toBe(280);
    const { summary, counts } = scan(text);
    expect(summary.signalsSeen).toEqual({ 'satisfied-by': 240, httplog: 40 });
    expect(summary.signal).toBe('httplog');
    expect(summary.requestsCounted).toBe(40);
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 30, GET: 10 });
  });

  test('audit log beside the klog lines: audit counted, once per request', () => {
    const ref = HOT_NODE_AUDIT_REF;
    const out: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ms = T0 + i * 1000;
      out.push(...sixLines(ms, 'PUT', HOT_NODE).map((t) => wrap(t, 'docker-json', ms)));
      out.push(wrap(httplogText(ms, 'PUT', HOT_NODE), 'docker-json', ms));
      out.push(auditLine('RequestReceived', 'update', ref, ms, `id-${i}`));
      out.push(auditLine('ResponseComplete', 'update', ref, ms, `id-${i}`));
    }
    const { summary, counts } = scan(lines(...out));
    expect(summary.signalsSeen).toEqual({ 'satisfied-by': 60, httplog: 10, audit: 10 });
    expect(summary.signal).toBe('audit');
    expect(summary).toMatchObject({ linesRead: 90, linesSkipped: 0, requestsCounted: 10 });
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 10 });
  });

  test('verbosity raised halfway: the signal that saw every request is the one counted', () => {
    // First half at -v=3 (httplog only), second half at -v=5 (satisfied-by lines as well).
    const first = generated(
      Array.from({ length: 20 }, () => request('PUT', HOT_NODE)),
      ['httplog'],
      'cri',
    );
    const second = generated(
      Array.from({ length: 20 }, () => request('PUT', HOT_NODE)),
      ['satisfied-by', 'httplog'],
      'cri',
    );
    const { summary, counts } = scan(first.text + second.text);
    expect(summary.signalsSeen).toEqual({ httplog: 40, 'satisfied-by': 120 });
    expect(summary.signal).toBe('httplog');
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 40 });
  });

  test('only satisfied-by lines: that signal is named', () => {
    const { text } = generated([request('PUT', HOT_NODE)], ['satisfied-by'], 'klog');
    expect(scan(text).summary.signal).toBe('satisfied-by');
  });

  test('no request line at all: no signal', () => {
    const { summary } = scan(lines('I0507 08:24:37.492998 1 controller.go:611] nothing to see'));
    expect(summary).toMatchObject({
      signal: null,
      signalsSeen: {},
      requestsCounted: 0,
      formats: { klog: 1 },
    });
  });
});
