import { locateDownstreamNode } from '../nodes.js';
import type { SuspectCollector } from './collector.js';
import { attempt } from './optional-read.js';

/** The pods on the suspect's Kubernetes node, which a drain would evict or leave alone. */
export const podsOnNode: SuspectCollector = {
  name: 'pods on node',
  async collect(context) {
    const facts = context.subject.gathered.downstream;
    if (!facts) return {};
    const downstreamNode = locateDownstreamNode(context.subject.suspect.node, facts.nodes);
    if (!downstreamNode.present || !downstreamNode.name || !facts.reader) return { podsOnNode: null };
    const reader = facts.reader;
    const nodeName = downstreamNode.name;
    return {
      podsOnNode: await attempt(context, `pods on node ${nodeName} of ${facts.clusterId}`, () =>
        reader.listPodsOnNode(nodeName, context.signal),
      ),
    };
  },
};
