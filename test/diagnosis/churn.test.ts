import { describe, expect, it } from '@jest/globals';
import { createChurnCounter } from '../../src/diagnosis/churn.js';

describe('churn counter', () => {
  it('ranks objects by updates and marks only fast writers hot', () => {
    const counter = createChurnCounter();
    const start = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 60; i++)
      counter.modified('c-dql6k', 'machine-h46dc', new Date(start.getTime() + i * 1000));
    counter.modified('c-dql6k', 'm-aaaaa', new Date(start.getTime() + 30_000));
    const s = counter.summary(start, new Date(start.getTime() + 60_000));
    expect(s.signal).toBe('churn');
    expect(s.distinctObjects).toBe(2);
    expect(s.requestsCounted).toBe(61);
    expect(s.hot).toHaveLength(1);
    expect(s.hot[0]).toMatchObject({
      key: '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc',
      writes: 60,
      writesPerMinute: 60,
      rank: 1,
      rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
    });
  });
  it('reports no signal when nothing changed', () => {
    const s = createChurnCounter().summary(new Date(0), new Date(60_000));
    expect(s.signal).toBeNull();
    expect(s.hot).toEqual([]);
  });
});
