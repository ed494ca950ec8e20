import { rancherNodeOf, unknownObjectFinding } from '../findings.js';
import type { Analyzer, Diagnosed } from './analyzer.js';

/** An object rewritten in a loop that is not a node object, or whose node object is gone: the cause is unknown. */
export const hotObjectNotANode: Analyzer = {
  name: 'hot object that is not a node',
  analyze(facts) {
    const out: Diagnosed[] = [];
    for (const h of facts.heat.values()) {
      if (!rancherNodeOf(h.hot) && facts.inScope(h.hot.ref.namespace))
        out.push({ finding: unknownObjectFinding(h, null) });
    }
    for (const suspect of facts.suspects) {
      if (suspect.node || !suspect.heat) continue;
      out.push({
        finding: unknownObjectFinding(
          suspect.heat,
          `node object ${suspect.clusterId}/${suspect.nodeId} no longer exists`,
        ),
      });
    }
    return out;
  },
};
