import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterSummary } from '../diagnosis/types.js';
import { writeClusterCache } from './cluster-cache.js';

/**
 * Keeps the cached cluster list fresh from a process that can reach Kubernetes (a worker), so
 * that the bot checks cluster names against Redis and never waits on the apiserver.
 */
export function startClusterRefresh(options: {
  redis: Redis;
  prefix: string;
  listClusters: () => Promise<ClusterSummary[]>;
  intervalSeconds: number;
  log: Logger;
}): { stop(): void; refresh(): Promise<void> } {
  const refresh = async () => {
    try {
      const clusters = await options.listClusters();
      await writeClusterCache(options.redis, options.prefix, clusters);
      options.log.debug({ clusters: clusters.length }, 'cluster cache refreshed');
    } catch (err) {
      options.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'cluster list refresh failed',
      );
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), options.intervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), refresh };
}
