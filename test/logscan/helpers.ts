/** Shared by the log scanner tests: line builders in each format, a seeded PRNG, scan helpers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogScanner, type ScanCounts, type ScanOptions } from '../../src/diagnosis/logscan/index.js';
import { chooseChannel, toActivity } from '../../src/diagnosis/logscan/summary.js';
import type { ChannelTally } from '../../src/diagnosis/logscan/tally.js';
import type { ActivitySummary, ObjectActivity } from '../../src/diagnosis/types.js';

/** A line of the incident's kube-apiserver log (RKE1, Docker json-file), byte for byte. */
export const INCIDENT_LINE =
  '{"log":"I0507 08:24:37.493121 1 handler.go:153] kube-apiserver: PUT \\"/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc\\" satisfied by nonGoRestful\\n","stream":"stderr","time":"2022-05-07T08:24:37.495902397Z"}';

export { HOT_NODE, HOT_NODE_REF } from '../support/hot-node.js';

/** HOT_NODE as an audit event's objectRef names it. */
export const HOT_NODE_AUDIT_REF = {
  resource: 'nodes',
  namespace: 'c-dql6k',
  name: 'machine-h46dc',
  apiGroup: 'management.cattle.io',
  apiVersion: 'v3',
};

/** A reference instant after every time used in the tests (klog headers get their year from it). */
export const REF_2022 = Date.parse('2022-06-01T00:00:00Z');

// ---------------------------------------------------------------- seeded PRNG

/** Tests never use Math.random. */
export { mulberry32 as prng } from '../../scripts/prng.js';

/** An integer in [min, max]. */
export const randInt = (rand: () => number, min: number, max: number): number =>
  min + Math.floor(rand() * (max - min + 1));

// ---------------------------------------------------------------- line builders

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** klog header `Lmmdd hh:mm:ss.uuuuuu    1 file:line] ` for an instant (UTC). */
export function klogHeader(ms: number, fileLine: string, severity = 'I', micros = 0): string {
  const d = new Date(ms);
  const us = d.getUTCMilliseconds() * 1000 + micros;
  return (
    `${severity}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(us, 6)}` +
    `       1 ${fileLine}] `
  );
}

/** RFC 3339 with nanoseconds, as Docker and CRI write it. */
export function rfc3339(ms: number, extraNanos = 123): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${pad((ms % 1000) * 1_000_000 + extraNanos, 9)}Z`;
}

export const handlerText = (ms: number, component: string, verb: string, path: string): string =>
  `${klogHeader(ms, 'handler.go:153')}${component}: ${verb} "${path}" satisfied by nonGoRestful`;

export const pathrecorderText = (ms: number, component: string, path: string): string =>
  `${klogHeader(ms, 'pathrecorder.go:247', 'I', 17)}${component}: "${path}" satisfied by prefix /apis/`;

export const httplogText = (ms: number, verb: string, uri: string, resp = 200): string =>
  `${klogHeader(ms, 'httplog.go:132', 'I', 2300)}"HTTP" verb="${verb}" URI="${uri}" latency="2.31ms" ` +
  `userAgent="rancher/v2.6.5 (linux/amd64) kubernetes/$Format" audit-ID="0b0c1f4e-8d8e-4f33-9a51-3c1d8f2a9a10" ` +
  `srcIP="10.0.0.5:51234" resp=${resp}`;

export const COMPONENTS = ['kube-aggregator', 'kube-apiserver', 'apiextensions-apiserver'] as const;

/** The six klog texts one request to a custom resource leaves at -v=5 and up. */
export function sixLines(ms: number, verb: string, path: string): string[] {
  return COMPONENTS.flatMap((c) => [handlerText(ms, c, verb, path), pathrecorderText(ms, c, path)]);
}

export type Format = 'klog' | 'cri' | 'docker-json';

/** Wraps a klog text in a file format; `wrapperMs` is the wrapper's own time stamp. */
export function wrap(text: string, format: Format, wrapperMs: number): string {
  switch (format) {
    case 'klog':
      return text;
    case 'cri':
      return `${rfc3339(wrapperMs)} stderr F ${text}`;
    case 'docker-json':
      return JSON.stringify({ log: `${text}\n`, stream: 'stderr', time: rfc3339(wrapperMs) });
  }
}

/** A CRI message split into P partial lines and a final F line. */
export function criPartials(text: string, ms: number, cuts: number[]): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(from, cut));
    from = cut;
  }
  pieces.push(text.slice(from));
  return pieces.map((piece, i) => `${rfc3339(ms)} stderr ${i === pieces.length - 1 ? 'F' : 'P'} ${piece}`);
}

export interface AuditRef {
  resource: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  apiVersion: string;
  subresource?: string;
}

/** One audit.k8s.io/v1 Event as the apiserver writes it (compact JSON, one line). */
export function auditLine(
  stage: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic',
  verb: string,
  ref: AuditRef,
  receivedMs: number,
  auditID = '5f1e0c3a-2d4b-4a8e-9c1f-7b6a5d4e3c2b',
): string {
  const uri =
    (ref.apiGroup ? `/apis/${ref.apiGroup}/${ref.apiVersion}` : `/api/${ref.apiVersion}`) +
    (ref.namespace ? `/namespaces/${ref.namespace}` : '') +
    `/${ref.resource}` +
    (ref.name ? `/${ref.name}` : '') +
    (ref.subresource ? `/${ref.subresource}` : '');
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID,
    stage,
    requestURI: uri,
    verb,
    user: { username: 'system:serviceaccount:cattle-system:rancher', groups: ['system:authenticated'] },
    sourceIPs: ['10.43.0.12'],
    userAgent: 'rancher/v2.6.5 (linux/amd64) kubernetes/$Format',
    objectRef: ref,
    ...(stage === 'ResponseComplete' || stage === 'ResponseStarted'
      ? { responseStatus: { metadata: {}, code: 200 } }
      : {}),
    requestReceivedTimestamp: new Date(receivedMs).toISOString().replace('Z', '123Z'),
    stageTimestamp: new Date(receivedMs + 3).toISOString().replace('Z', '456Z'),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  });
}

// ---------------------------------------------------------------- scanning

export interface Scanned {
  summary: ActivitySummary;
  counts: ScanCounts;
}

/** Scans bytes in one push (or in the given chunk sizes, cycled). */
export function scan(input: string | Buffer, options: ScanOptions = {}, chunkSizes?: number[]): Scanned {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const scanner = createLogScanner({ referenceMs: REF_2022, ...options });
  if (!chunkSizes?.length) scanner.push(bytes);
  else {
    let at = 0;
    let i = 0;
    while (at < bytes.length) {
      const size = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
      scanner.push(bytes.subarray(at, at + size));
      at += size;
    }
  }
  scanner.end();
  return { summary: scanner.summary(), counts: scanner.counts };
}

export const lines = (...ls: string[]): string => ls.map((l) => `${l}\n`).join('');

/** Every object of the signal the summary counted, by key (reads included, unlike `hot`). */
export function objectsOf(counts: ScanCounts): Map<string, ObjectActivity> {
  const { channel } = chooseChannel(counts);
  const out = new Map<string, ObjectActivity>();
  for (const tally of channel?.objects.values() ?? []) out.set(tally.key, toActivity(tally));
  return out;
}

/** The object, which must exist. */
export function objectOf(counts: ScanCounts, key: string): ObjectActivity {
  const found = objectsOf(counts).get(key);
  if (!found) throw new Error(`no object ${key}; have ${[...objectsOf(counts).keys()].join(', ')}`);
  return found;
}

/** Verb counts per object key, for comparing whole scans. */
export function verbTable(counts: ScanCounts): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, activity] of objectsOf(counts)) out[key] = activity.verbs;
  return out;
}

/** A fresh temporary directory and its removal. */
export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'logscan-test-'));
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Normalized {
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  formats: ScanCounts['formats'];
  formatOrder: string[];
  signalsSeen: ScanCounts['signalsSeen'];
  signalOrder: string[];
  audit: NormalizedChannel;
  httplog: NormalizedChannel;
  handlers: [string, NormalizedChannel][];
}

export interface NormalizedChannel {
  requests: number;
  objects: unknown[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function normalizeChannel(channel: ChannelTally): NormalizedChannel {
  return {
    requests: channel.requests,
    objects: [...channel.objects.values()]
      .sort((a, b) => byString(a.key, b.key))
      .map((o) => ({
        key: o.key,
        ref: { ...o.ref },
        verbs: Array.from(o.verbs),
        firstMs: o.firstMs,
        lastMs: o.lastMs,
        minuteStart: o.minuteStart,
        firstWriteMinute: o.firstWriteMinute,
        perMinute: o.perMinute === null ? null : Array.from(o.perMinute.subarray(0, o.minutes)),
        minutes: o.minutes,
      })),
  };
}

/**
 * Counts compared order-insensitively: handlers sorted by component, objects by key, typed arrays
 * as plain arrays; the key order of `formats` and `signalsSeen` kept apart.
 */
export function normalizeCounts(data: ScanCounts): Normalized {
  return {
    bytesRead: data.bytesRead,
    linesRead: data.linesRead,
    linesSkipped: data.linesSkipped,
    formats: { ...data.formats },
    formatOrder: Object.keys(data.formats),
    signalsSeen: { ...data.signalsSeen },
    signalOrder: Object.keys(data.signalsSeen),
    audit: normalizeChannel(data.audit),
    httplog: normalizeChannel(data.httplog),
    handlers: [...data.handlers]
      .map(([name, channel]): [string, NormalizedChannel] => [name, normalizeChannel(channel)])
      .sort((a, b) => byString(a[0], b[0])),
  };
}
