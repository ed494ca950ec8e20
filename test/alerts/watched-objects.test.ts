import { describe, expect, it } from '@jest/globals';
import type { NodeWriteSource } from '../../src/alerts/detector.js';
import { countWatchedObjects } from '../../src/alerts/watched-objects.js';

describe('the objects the detector watches, for the metrics', () => {
  it('those listed, plus those created, less those deleted; 0 once the watch stops; the detector still told each event', async () => {
    const told: string[] = [];
    const source: NodeWriteSource = {
      run(handlers) {
        handlers.listed?.(['c-1/m-a', 'c-1/m-b']);
        handlers.write('c-1/m-a');
        handlers.write('c-1/m-c');
        handlers.deleted('c-1/m-b');
        handlers.deleted('c-1/m-gone');
        // A relist (after a 410) starts again from what it finds.
        handlers.listed?.(['c-2/m-x']);
        return Promise.resolve();
      },
    };
    const seen: number[] = [];
    await countWatchedObjects(source, (n) => seen.push(n)).run(
      {
        write: (k) => told.push(`write ${k}`),
        deleted: (k) => told.push(`deleted ${k}`),
        contact: () => undefined,
      },
      new AbortController().signal,
    );
    expect(seen).toEqual([2, 3, 2, 1, 0]);
    expect(told).toEqual(['write c-1/m-a', 'write c-1/m-c', 'deleted c-1/m-b', 'deleted c-1/m-gone']);
  });
});
