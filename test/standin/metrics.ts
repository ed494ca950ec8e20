/**
 * The local apiserver's /metrics, in Prometheus text format as kube-apiserver writes it, from what
 * the stand-in really served: each request counted when its answer is sent, and the loop's
 * rewrites (Rancher's PUTs). Resident memory grows with every node object write, as the real
 * apiserver's does in the incident, from a base of 400 MiB. A restart (`restart()`) starts the
 * counters from zero under a new process_start_time_seconds, as a new apiserver process does.
 */
import type { ServerResponse } from 'node:http';
import { parseApiPath } from './paths.js';
import type { RecordedRequest } from './types.js';

const BASE_RSS = 400 * 1024 * 1024;
const BYTES_PER_WRITE = 2048;

export class ApiserverCounters {
  private readonly counts = new Map<string, number>();
  private loopBase = 0;
  private startTime: number;

  constructor(now: number = Date.now()) {
    this.startTime = Math.floor(now / 1000);
  }

  /** One answered request of the local cluster (watches and lists included, as kube counts them). */
  count(r: RecordedRequest): void {
    if (r.cluster !== 'local' || r.status === 0) return;
    const route = parseApiPath(r.apiPath);
    if (route.type !== 'resource') return;
    const verb =
      r.query.watch === 'true' || r.query.watch === '1'
        ? 'WATCH'
        : r.method === 'GET' && !route.name
          ? 'LIST'
          : r.method;
    const key = labels(route.group, route.resource, verb, r.status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** A new apiserver process: counters from zero, memory from its base, a later start time. */
  restart(loopNodeWrites: number, now: number = Date.now()): void {
    this.counts.clear();
    this.loopBase = loopNodeWrites;
    this.startTime = Math.max(this.startTime + 1, Math.floor(now / 1000));
  }

  text(loopNodeWrites: number): string {
    return apiserverMetricsText({
      counts: this.counts,
      loopNodeWrites: loopNodeWrites - this.loopBase,
      startTime: this.startTime,
    });
  }
}

export interface MetricsInputs {
  /** apiserver_request_total by its label set. */
  counts: ReadonlyMap<string, number>;
  /** Writes of node objects the loop made since the process started (they reach the real apiserver as PUTs). */
  loopNodeWrites: number;
  /** process_start_time_seconds. */
  startTime: number;
}

export function apiserverMetricsText(inputs: MetricsInputs): string {
  const counts = new Map(inputs.counts);
  if (inputs.loopNodeWrites > 0) {
    const key = labels('management.cattle.io', 'nodes', 'PUT', 200);
    counts.set(key, (counts.get(key) ?? 0) + inputs.loopNodeWrites);
  }
  const nodeWrites = [...counts]
    .filter(
      ([k]) =>
        k.includes('group="management.cattle.io"') &&
        k.includes('resource="nodes"') &&
        /verb="(PUT|PATCH)"/.test(k),
    )
    .reduce((sum, [, n]) => sum + n, 0);
  const lines = [
    '# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    '# TYPE apiserver_request_total counter',
    ...[...counts].sort().map(([k, n]) => `apiserver_request_total{${k}} ${n}`),
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${BASE_RSS + nodeWrites * BYTES_PER_WRITE}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${inputs.startTime}`,
  ];
  return `${lines.join('\n')}\n`;
}

function labels(group: string, resource: string, verb: string, code: number): string {
  return `code="${code}",component="apiserver",dry_run="",group="${group}",resource="${resource}",scope="resource",subresource="",verb="${verb}",version="${group === '' ? 'v1' : 'v3'}"`;
}

export function sendMetrics(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(text);
}
