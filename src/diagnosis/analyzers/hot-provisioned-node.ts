import { nodeFinding } from '../findings.js';
import { analyzeNode, isProvisionedNode } from '../nodes.js';
import { unreadDownstream } from '../collectors/collector.js';
import type { Analyzer, Diagnosed } from './analyzer.js';

/**
 * A hot node object whose host Rancher provisions: any node of a v2prov (RKE2/k3s) cluster, or a
 * node-pool node of an RKE1 cluster. Its missing status.rkeNode is normal, so the cause is not
 * known: the finding says what was seen, offers no patch, and its removal plan deletes what made
 * the node (the CAPI Machine, the pool's node object).
 */
export const hotProvisionedNode: Analyzer = {
  name: 'hot node of a provisioned host',
  analyze(facts) {
    const out: Diagnosed[] = [];
    for (const suspect of facts.suspects) {
      if (!suspect.node || !suspect.heat) continue;
      const cluster = facts.clusterById.get(suspect.clusterId) ?? null;
      if (!isProvisionedNode(suspect.node, cluster)) continue;
      const downstream = suspect.evidence?.downstream ?? unreadDownstream(suspect.clusterId);
      const siblings = facts.nodesByCluster.get(suspect.clusterId) ?? [];
      const analysis = analyzeNode(suspect.node, siblings, cluster, downstream.nodes);
      const nodePoolName = suspect.node.spec.nodePoolName || null;
      const machine =
        suspect.evidence && 'machine' in suspect.evidence ? suspect.evidence.machine : undefined;
      const notes: string[] = [];
      if (suspect.evidence && downstream.nodes === null)
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
          ...(machine !== undefined ? { machine } : {}),
          nodePoolName,
        }),
        fixBasis: {
          node: suspect.node,
          analysis,
          downstream,
          podsOnNode: suspect.evidence?.podsOnNode ?? null,
          provisioned: { machine: machine ?? null, nodePoolName },
          rancherVersion: facts.rancherVersion,
        },
      });
    }
    return out;
  },
};
