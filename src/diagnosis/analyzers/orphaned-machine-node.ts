import { nodeFinding } from '../findings.js';
import { analyzeNode } from '../nodes.js';
import { unreadDownstream } from '../collectors/collector.js';
import type { Analyzer, Diagnosed } from './analyzer.js';

/**
 * The known failure: a machine- node object of a custom (RKE1) cluster without status.rkeNode,
 * which Rancher rewrites in a loop. Its finding gets the cause, the agent's lines and both fixes.
 */
export const orphanedMachineNode: Analyzer = {
  name: 'orphaned machine- node',
  analyze(facts) {
    const out: Diagnosed[] = [];
    for (const suspect of facts.suspects) {
      if (!suspect.node) continue;
      const downstream = suspect.evidence?.downstream ?? unreadDownstream(suspect.clusterId);
      const cluster = facts.clusterById.get(suspect.clusterId) ?? null;
      const siblings = facts.nodesByCluster.get(suspect.clusterId) ?? [];
      const analysis = analyzeNode(suspect.node, siblings, cluster, downstream.nodes);
      if (!analysis.isOrphanedMachineNode) continue;
      const notes: string[] = [];
      if (downstream.nodes === null)
        notes.push(`downstream cluster ${suspect.clusterId} could not be reached: see problems`);
      if (suspect.evidence?.agentNote) notes.push(suspect.evidence.agentNote);
      out.push({
        finding: nodeFinding({
          analysis,
          heat: suspect.heat,
          agent: suspect.evidence?.agent ?? null,
          patchPlan: null,
          drainPlan: null,
          notes,
          rancherVersion: facts.rancherVersion,
        }),
        fixBasis: {
          node: suspect.node,
          analysis,
          downstream,
          podsOnNode: suspect.evidence?.podsOnNode ?? null,
          rancherVersion: facts.rancherVersion,
        },
      });
    }
    return out;
  },
};
