import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClusterSummary } from '../diagnosis/types.js';
import { keys } from './redis.js';
import { nameKey } from '../text/name-key.js';

const cacheSchema = z.object({
  refreshedAt: z.string(),
  clusters: z.array(z.object({ id: z.string(), name: z.string(), driver: z.string().nullable() })),
});

export type ClusterCache = z.infer<typeof cacheSchema>;

/**
 * The cluster list the bot checks names against. Workers (which can reach Kubernetes) write it;
 * the bot only reads it, so a slash command never waits on Kubernetes.
 */
export async function readClusterCache(redis: Redis, prefix: string): Promise<ClusterCache | null> {
  const raw = await redis.get(keys(prefix).clusters);
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null; // A damaged copy counts as none: names are passed on to the worker, which checks them.
  }
  const parsed = cacheSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export async function writeClusterCache(
  redis: Redis,
  prefix: string,
  clusters: ClusterSummary[],
  now = new Date(),
): Promise<void> {
  const value: ClusterCache = { refreshedAt: now.toISOString(), clusters };
  await redis.set(keys(prefix).clusters, JSON.stringify(value));
}

/**
 * The bot's view of the cached cluster list: read from Redis at most once per `maxAgeMs` (one read
 * shared by the commands that arrive meanwhile), so a burst of slash commands does not pay a round
 * trip each. A name missing from a copy older than `recheckMs` is looked up again in Redis before
 * it is called unknown, so a cluster a worker has just listed is found at once.
 */
export class ClusterCacheReader {
  private copy: { value: ClusterCache | null; at: number } | null = null;
  private reading: Promise<ClusterCache | null> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly maxAgeMs = 5000,
    private readonly recheckMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cluster matching `wanted` (id or display name), or why there is none. */
  async resolve(
    wanted: string,
  ): Promise<{ found: ClusterSummary } | { found: null; cache: ClusterCache | null }> {
    let cache = await this.current();
    let found = cache ? resolveCluster(cache.clusters, wanted) : null;
    if (!found && this.copy && this.now() - this.copy.at > this.recheckMs) {
      cache = await this.read();
      found = cache ? resolveCluster(cache.clusters, wanted) : null;
    }
    return found ? { found } : { found: null, cache };
  }

  private current(): Promise<ClusterCache | null> {
    if (this.copy && this.now() - this.copy.at < this.maxAgeMs) return Promise.resolve(this.copy.value);
    return this.read();
  }

  private read(): Promise<ClusterCache | null> {
    this.reading ??= readClusterCache(this.redis, this.prefix)
      .then((value) => {
        this.copy = { value, at: this.now() };
        return value;
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }
}

/** Finds a cluster by id or display name (compared as nameKey says). */
export function resolveCluster(clusters: ClusterSummary[], wanted: string): ClusterSummary | null {
  const key = nameKey(wanted);
  return clusters.find((c) => c.id === wanted) ?? clusters.find((c) => nameKey(c.name) === key) ?? null;
}
