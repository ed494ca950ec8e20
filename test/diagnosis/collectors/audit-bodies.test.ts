import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from '@jest/globals';
import { logFiles } from '../../../src/diagnosis/collectors/log-files.js';
import type { DiagnosisPorts } from '../../../src/diagnosis/ports.js';
import { logFileReader } from '../../../src/io/log-file-reader.js';
import { collectRun, contextOf } from './context.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const NS = 'c-dql6k';
const NODE = 'machine-h46dc';
const KEY = `/apis/management.cattle.io/v3/namespaces/${NS}/nodes/${NODE}`;
const RANCHER = {
  user: 'system:serviceaccount:cattle-system:cattle',
  userAgent: 'rancher/v2.7.5 (linux/amd64)',
};

/** The node object as Rancher's i-th write sends it: Updated stamped each time, dockerInfo every other. */
function nodeVersion(i: number) {
  return {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Node',
    metadata: { name: NODE, namespace: NS, resourceVersion: String(1000 + i) },
    spec: { worker: true },
    status: {
      dockerInfo: { ServerVersion: Math.floor(i / 2) % 2 ? '24.0.7' : '20.10.24' },
      conditions: [
        { type: 'Updated', status: 'True', lastUpdateTime: new Date(T0 + i * 1000).toISOString() },
      ],
    },
  };
}

/** One ResponseComplete audit event, at level Request (the body sent) or Metadata (none). */
function event(i: number, level: 'Request' | 'Metadata', actor = RANCHER): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    requestURI: KEY,
    verb: 'update',
    user: { username: actor.user, groups: ['system:authenticated'] },
    userAgent: actor.userAgent,
    objectRef: {
      resource: 'nodes',
      namespace: NS,
      name: NODE,
      apiGroup: 'management.cattle.io',
      apiVersion: 'v3',
    },
    responseStatus: { metadata: {}, code: 200 },
    ...(level === 'Request' ? { requestObject: nodeVersion(i) } : {}),
    requestReceivedTimestamp: new Date(T0 + i * 1000).toISOString(),
    stageTimestamp: new Date(T0 + i * 1000 + 3).toISOString(),
  });
}

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function collect(lines: string[], gzip = false) {
  dir = mkdtempSync(path.join(tmpdir(), 'audit-bodies-'));
  const file = path.join(dir, gzip ? 'audit.log.gz' : 'audit.log');
  const text = `${lines.join('\n')}\n`;
  writeFileSync(file, gzip ? gzipSync(text) : text);
  const ports = { logFiles: logFileReader } as unknown as DiagnosisPorts;
  const run = collectRun(ports, { logFiles: [file] });
  const { activity } = await logFiles.collect(contextOf(run, { clusterId: null }));
  return { evidence: activity![0]!, problems: run.problems };
}

describe('field changes from an audit log with request bodies', () => {
  it('names the paths that flip, their writers and who sent the writes', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => event(i, 'Request'));
    const { evidence, problems } = await collect(lines, true);
    expect(problems).toEqual([]);
    expect(evidence.source).toBe('audit-log');
    const hot = evidence.summary.hot[0]!;
    expect(hot.key).toBe(KEY);
    expect(hot.fieldChanges).toMatchObject({
      source: 'audit-log',
      compared: 119,
      unchanged: 0,
      actors: [{ ...RANCHER, writes: 120 }],
    });
    expect(hot.fieldChanges!.fields.map((f) => [f.path, f.writes, f.writers])).toEqual([
      ['status.conditions[type=Updated].lastUpdateTime', 119, ['node-controller-sync']],
      ['status.dockerInfo', 59, ['tunnel authorizer']],
    ]);
  });

  it('an audit log at level Metadata has no bodies: the counts, and no field changes', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => event(i, 'Metadata'));
    const { evidence } = await collect(lines);
    expect(evidence.summary.hot[0]!.writes).toBe(120);
    expect(evidence.summary.hot[0]!.fieldChanges).toBeUndefined();
  });
});
