import type { ApiserverMetrics } from '../alerts/detector.js';

/** `name{labels} value` of the Prometheus text format; comments and other lines are skipped. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const WANTED = /^(apiserver_request_total|process_resident_memory_bytes|process_start_time_seconds)[{\s]/;

/**
 * The figures the detector reads from an apiserver's /metrics, fed line by line (a large
 * apiserver's /metrics runs to megabytes: it is never held whole): writes of node objects
 * (apiserver_request_total for group management.cattle.io, resource nodes, verb PUT or PATCH,
 * every code summed), the process's resident memory, and its start time, which tells one process
 * (and its counters) from another: a restart, or another apiserver behind the same address.
 */
export class ApiserverMetricsReader {
  private readonly m: ApiserverMetrics = {
    nodeWrites: null,
    residentMemoryBytes: null,
    processStartTime: null,
  };

  line(raw: string): void {
    if (!WANTED.test(raw)) return;
    const m = SAMPLE.exec(raw.trim());
    if (!m) return;
    const [, name, labelText, text] = m;
    const value = Number(text);
    if (!Number.isFinite(value)) return;
    if (name === 'process_resident_memory_bytes') this.m.residentMemoryBytes = value;
    if (name === 'process_start_time_seconds') this.m.processStartTime = value;
    if (name !== 'apiserver_request_total' || !labelText) return;
    const labels = new Map([...labelText.matchAll(LABEL)].map((l) => [l[1]!, l[2]!]));
    if (
      labels.get('group') === 'management.cattle.io' &&
      labels.get('resource') === 'nodes' &&
      /^(PUT|PATCH)$/.test(labels.get('verb') ?? '')
    )
      this.m.nodeWrites = (this.m.nodeWrites ?? 0) + value;
  }

  result(): ApiserverMetrics {
    return { ...this.m };
  }
}

export function parseApiserverMetrics(text: string): ApiserverMetrics {
  const reader = new ApiserverMetricsReader();
  for (const line of text.split('\n')) reader.line(line);
  return reader.result();
}
