import type { NodeWriteSource } from './detector.js';

/**
 * The source as it was, telling `set` how many node objects its watch covers: those the last
 * list found, plus those created since, less those deleted; 0 once it stops (leadership lost).
 */
export function countWatchedObjects(
  source: NodeWriteSource,
  set: (objects: number) => void,
): NodeWriteSource {
  return {
    async run(handlers, signal) {
      const keys = new Set<string>();
      try {
        await source.run(
          {
            ...handlers,
            listed(all) {
              keys.clear();
              for (const key of all) keys.add(key);
              set(keys.size);
              handlers.listed?.(all);
            },
            write(key) {
              handlers.write(key);
              if (keys.has(key)) return;
              keys.add(key);
              set(keys.size);
            },
            deleted(key) {
              handlers.deleted(key);
              if (keys.delete(key)) set(keys.size);
            },
          },
          signal,
        );
      } finally {
        set(0);
      }
    },
  };
}
