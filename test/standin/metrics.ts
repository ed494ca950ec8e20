/**
 * The local apiserver's /metrics, in Prometheus text format as kube-apiserver writes it, from what
 * the stand-in really served: its recorded requests and the loop's rewrites (Rancher's PUTs).
 * Resident memory grows with every node object write, as the real apiserver's does in the
 * incident, from a base of 400 MiB.
 */
import type { ServerResponse } from 'node:http';
import { parseApiPath } from './paths.js';
import type { RecordedRequest } from './types.js';

const BASE_RSS = 400 * 1024 * 1024;
const BYTES_PER_WRITE = 2048;

export interface MetricsInputs {
  requests: readonly RecordedRequest[];
  /** Writes of node objects the loop made (they reach the real apiserver as PUTs). */
  loopNodeWrites: number;
}

export function apiserverMetricsText(inputs: MetricsInputs): string {
  const counts = new Map<string, number>();
  for (const r of inputs.requests) {
    if (r.cluster !== 'local' || r.status === 0) continue;
    const route = parseApiPath(r.apiPath);
    if (route.type !== 'resource') continue;
    const verb = r.query.watch === 'true' ? 'WATCH' : r.method === 'GET' && !route.name ? 'LIST' : r.method;
    const key = labels(route.group, route.resource, verb, r.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
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
  ];
  return `${lines.join('\n')}\n`;
}

function labels(group: string, resource: string, verb: string, code: number): string {
  return `code="${code}",component="apiserver",dry_run="",group="${group}",resource="${resource}",scope="resource",subresource="",verb="${verb}",version="${group === '' ? 'v1' : 'v3'}"`;
}

export function sendMetrics(res: ServerResponse, inputs: MetricsInputs): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(apiserverMetricsText(inputs));
}
