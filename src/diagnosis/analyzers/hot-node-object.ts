import { nodeFinding } from '../findings.js';
import { analyzeNode, isOrphanedMachineNode, isProvisionedNode } from '../nodes.js';
import type { Analyzer, Diagnosed } from './analyzer.js';

/** A node object rewritten in a loop that is not the known failure: reported without asking its downstream cluster. */
export const hotNodeObject: Analyzer = {
  name: 'hot node object',
  analyze(facts) {
    const out: Diagnosed[] = [];
    for (const suspect of facts.suspects) {
      if (!suspect.node) continue;
      const cluster = facts.clusterById.get(suspect.clusterId) ?? null;
      if (isOrphanedMachineNode(suspect.node, cluster) || isProvisionedNode(suspect.node, cluster)) continue;
      const siblings = facts.nodesByCluster.get(suspect.clusterId) ?? [];
      out.push({
        finding: nodeFinding({
          analysis: analyzeNode(suspect.node, siblings, cluster, null),
          heat: suspect.heat,
          agent: null,
          patchPlan: null,
          drainPlan: null,
          notes: [],
          rancherVersion: facts.rancherVersion,
        }),
      });
    }
    return out;
  },
};
