import type { ApiserverMetrics } from '../alerts/detector.js';

/** `name{labels} value` of the Prometheus text format; comments and other lines are skipped. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The two figures the detector reads from an apiserver's /metrics: writes of node objects
 * (apiserver_request_total for group management.cattle.io, resource nodes, verb PUT or PATCH,
 * every code summed) and the process's resident memory.
 */
export function parseApiserverMetrics(text: string): ApiserverMetrics {
  let nodeWrites: number | null = null;
  let residentMemoryBytes: number | null = null;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line.trim());
    if (!m) continue;
    const [, name, labelText, raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'process_resident_memory_bytes') residentMemoryBytes = value;
    if (name !== 'apiserver_request_total' || !labelText) continue;
    const labels = new Map([...labelText.matchAll(LABEL)].map((l) => [l[1]!, l[2]!]));
    if (
      labels.get('group') === 'management.cattle.io' &&
      labels.get('resource') === 'nodes' &&
      /^(PUT|PATCH)$/.test(labels.get('verb') ?? '')
    )
      nodeWrites = (nodeWrites ?? 0) + value;
  }
  return { nodeWrites, residentMemoryBytes };
}
