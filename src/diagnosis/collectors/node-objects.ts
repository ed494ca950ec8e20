import { plural } from '../../text/plural.js';
import type { ScopeCollector } from './collector.js';

/** The node objects of the scope: required, a failure to read them ends the diagnosis. */
export const nodeObjects: ScopeCollector = {
  name: 'node objects',
  async collect({ ports, subject, progress, signal }) {
    const scope = subject.clusterId;
    progress({
      stage: 'reading-node-objects',
      detail: `listing nodes.management.cattle.io${scope ? ` in ${scope}` : ''}`,
    });
    const nodes = await ports.local.listNodeObjects(scope, signal);
    progress({ stage: 'reading-node-objects', detail: `${plural(nodes.length, 'node object')} read` });
    return { nodes };
  },
};
