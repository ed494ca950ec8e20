import type { Scenario } from './scenario.js';

export interface LargeScenarioOptions {
  clusters: number;
  nodesPerCluster: number;
  /** How many clusters get one orphaned (looping) machine- node among their nodes. */
  orphans: number;
  seed?: number;
}

/** N custom clusters × M node objects, a few of them orphaned machine- nodes. Deterministic per seed. */
export function generateLargeScenario(_opts: LargeScenarioOptions): Scenario {
  throw new Error('generateLargeScenario: being written (skeleton commit)');
}
