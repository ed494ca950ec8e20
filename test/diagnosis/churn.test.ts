import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createChurnCounter } from '../../src/diagnosis/churn.js';
import { watchChurn } from '../../src/diagnosis/collectors/churn-watch.js';
import type { LocalClusterReader } from '../../src/diagnosis/ports.js';

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

describe('churn watch window', () => {
  /** A cluster whose watch sees nothing and ends when the window does or when the signal aborts. */
  const quietAccess = {
    watchNodeObjects: (options: { seconds: number }, _onEvent: unknown, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.seconds * 1000);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      }),
  } as unknown as LocalClusterReader;

  // The window's seconds pass on jest's clock: at once, and exactly as many as the test says.
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('a watch cut short states the window it really watched, not the one asked', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1200);
    const details: string[] = [];
    const watching = watchChurn(quietAccess, 'c-dql6k', 45, (e) => details.push(e.detail), abort.signal);
    await jest.advanceTimersByTimeAsync(1200);
    const evidence = await watching;
    expect(evidence.description).toBe(
      'watch on nodes.management.cattle.io in c-dql6k for 1s (cut short: 45s asked)',
    );
    expect(details.at(-1)).toBe('0 updates of 0 objects in 1s: stopped before the end of its window');
  });

  it('a whole window is stated as asked', async () => {
    const watching = watchChurn(quietAccess, null, 1, () => undefined);
    await jest.advanceTimersByTimeAsync(1000);
    const evidence = await watching;
    expect(evidence.description).toBe('watch on nodes.management.cattle.io for 1s');
  });
});
