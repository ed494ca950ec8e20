import { describe, expect, it } from '@jest/globals';
import { changedPaths, createFieldChangeCounter } from '../../src/diagnosis/field-changes.js';

function version(rv: number, updated: string, docker: string) {
  return {
    metadata: { name: 'machine-h46dc', namespace: 'c-dql6k', resourceVersion: String(rv) },
    spec: { worker: true },
    status: {
      dockerInfo: { ServerVersion: docker, Name: 'worker-3' },
      conditions: [
        { type: 'Ready', status: 'True', lastUpdateTime: '2026-01-01T00:00:00Z' },
        { type: 'Updated', status: 'True', lastUpdateTime: updated },
      ],
    },
  };
}

describe('changed paths', () => {
  it('conditions are keyed by type, a writer field is one path, bookkeeping is not a change', () => {
    expect(changedPaths(version(1, 'a', '20.10'), version(2, 'b', '24.0'))).toEqual([
      'status.conditions[type=Updated].lastUpdateTime',
      'status.dockerInfo',
    ]);
    expect(changedPaths(version(1, 'a', '20.10'), version(2, 'a', '20.10'))).toEqual([]);
  });

  it('a field that appears or goes is one change, at its own path', () => {
    const before = version(1, 'a', '20.10');
    const after = { ...before, status: { ...before.status, rkeNode: { address: '10.0.3.17' } } };
    expect(changedPaths(before, after)).toEqual(['status.rkeNode']);
  });
});

describe('field change counter', () => {
  it('counts how often each path flips over consecutive versions, and the writers of those paths', () => {
    const counter = createFieldChangeCounter();
    const key = 'node';
    // Every write stamps Updated; every other one also changes dockerInfo (the agent's poll).
    for (let i = 0; i <= 10; i++) counter.version(key, version(i, `t${i}`, i % 2 ? '24.0' : '20.10'));
    const s = counter.summary(key, 'churn')!;
    expect(s.compared).toBe(10);
    expect(s.unchanged).toBe(0);
    expect(s.fields.map((f) => [f.path, f.writes, f.share, f.writers])).toEqual([
      ['status.conditions[type=Updated].lastUpdateTime', 10, 1, ['node-controller-sync']],
      ['status.dockerInfo', 10, 1, ['tunnel authorizer']],
    ]);
    const half = createFieldChangeCounter();
    for (let i = 0; i <= 10; i++)
      half.version(key, version(i, `t${i}`, Math.floor(i / 2) % 2 ? '24.0' : '20.10'));
    expect(half.summary(key, 'churn')!.fields.map((f) => [f.path, f.share])).toEqual([
      ['status.conditions[type=Updated].lastUpdateTime', 1],
      ['status.dockerInfo', 0.5],
    ]);
    expect(half.summary(key, 'churn')!.writers.map((w) => [w.name, w.share])).toEqual([
      ['node-controller-sync', 1],
      ['tunnel authorizer', 0.5],
    ]);
  });

  it('names who sent the writes when the source says (an audit log)', () => {
    const counter = createFieldChangeCounter();
    const rancher = { user: 'system:serviceaccount:cattle-system:cattle', userAgent: 'rancher/v2.6.5' };
    counter.version('node', version(1, 'a', '1'), rancher);
    counter.version('node', version(2, 'b', '1'), rancher);
    counter.version('node', version(3, 'c', '1'), { user: 'u-admin', userAgent: 'kubectl/v1.30' });
    expect(counter.summary('node', 'audit-log')).toMatchObject({
      source: 'audit-log',
      compared: 2,
      actors: [
        { ...rancher, writes: 2 },
        { user: 'u-admin', userAgent: 'kubectl/v1.30', writes: 1 },
      ],
    });
  });

  it('keeps nothing about an object it saw once but its last version: no summary', () => {
    const counter = createFieldChangeCounter();
    counter.version('node', version(1, 'a', '1'));
    expect(counter.summary('node', 'churn')).toBeNull();
  });
});
