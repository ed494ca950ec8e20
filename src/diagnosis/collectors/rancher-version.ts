import type { ScopeCollector } from './collector.js';
import { attempt } from './optional-read.js';

/**
 * Rancher's version: which writers rewrite a node object, how the agent words its wait and how a
 * v2prov node is removed all depend on it. Not required: unreadable (403), the version is unknown
 * and the report says less; absent (404), it is unknown without a problem.
 */
export const rancherVersion: ScopeCollector = {
  name: 'rancher version',
  async collect(context) {
    context.progress({ stage: 'reading-node-objects', detail: "reading Rancher's server-version setting" });
    const version = await attempt(context, 'settings.management.cattle.io server-version', () =>
      context.ports.local.getRancherVersion(context.signal),
    );
    return { rancherVersion: version?.trim() || null };
  },
};
