import { UnknownClusterError } from '../errors.js';
import { nameKey } from '../text/name-key.js';
import type { ClusterFacts } from './nodes.js';
import type { ClusterSummary } from './types.js';

export function clusterSummary(facts: ClusterFacts): ClusterSummary {
  return { id: facts.id, name: facts.displayName, driver: facts.driver };
}

/** Finds a cluster by id, else by display name (case-insensitive when unambiguous). */
export function resolveCluster(requested: string, clusters: ClusterFacts[]): ClusterFacts {
  const byId = clusters.find((c) => c.id === requested);
  if (byId) return byId;
  const byName = clusters.filter((c) => c.displayName === requested);
  if (byName.length === 1) return byName[0]!;
  const folded = clusters.filter((c) => nameKey(c.displayName) === nameKey(requested));
  if (folded.length === 1) return folded[0]!;
  throw new UnknownClusterError(
    requested,
    clusters.map((c) => ({ id: c.id, name: c.displayName })),
  );
}
