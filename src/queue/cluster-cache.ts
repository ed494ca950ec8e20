import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClusterSummary } from '../diagnosis/types.js';
import { keys } from './redis.js';

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
  const parsed = cacheSchema.safeParse(JSON.parse(raw));
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

/** Finds a cluster by id or display name (case-insensitive for names). */
export function resolveCluster(clusters: ClusterSummary[], wanted: string): ClusterSummary | null {
  return (
    clusters.find((c) => c.id === wanted) ??
    clusters.find((c) => c.name.toLowerCase() === wanted.toLowerCase()) ??
    null
  );
}
