import type { DownstreamFacts, MachineFacts } from '../collectors/collector.js';
import type { NodeAnalysis } from '../nodes.js';
import type { ManagementNode, Pod } from '../objects.js';
import type { CollectedFacts } from '../suspects.js';
import type { Finding } from '../types.js';

/** What the fix plans are built from, for a finding that has them. */
export interface FixBasis {
  node: ManagementNode;
  analysis: NodeAnalysis;
  downstream: DownstreamFacts;
  podsOnNode: Pod[] | null;
  /**
   * Where Rancher provisions the host (v2prov, node pool): no patch is built, the removal deletes
   * what made the node, and the advice is the provisioned node's. Absent for the known failure.
   */
  provisioned?: { machine: MachineFacts | null; nodePoolName: string | null };
  rancherVersion?: string | null;
}

/** A finding, and for the known failure what its fixes are built from (the plans are attached by the engine). */
export interface Diagnosed {
  finding: Finding;
  fixBasis?: FixBasis;
}

/** One kind of finding over the collected facts. A new one is a file with one of these and a line in ./index.ts. */
export interface Analyzer {
  readonly name: string;
  analyze(facts: CollectedFacts): Diagnosed[];
}
