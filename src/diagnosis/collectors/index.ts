import { apiserverLogs } from './apiserver-logs.js';
import { capiMachine } from './capi-machine.js';
import { churnWatch } from './churn-watch.js';
import type { ScopeCollector, SuspectCollector } from './collector.js';
import { downstreamCluster } from './downstream-cluster.js';
import { logFiles } from './log-files.js';
import { nodeAgentLog } from './node-agent-log.js';
import { nodeObjects } from './node-objects.js';
import { podsOnNode } from './pods-on-node.js';
import { rancherVersion } from './rancher-version.js';

/**
 * The sources of evidence about the scope, in the order they run (those marked `alongside` start
 * first and run while the others are read). Their evidence is what the analyzers look at.
 */
export const SCOPE_COLLECTORS: readonly ScopeCollector[] = [
  churnWatch,
  rancherVersion,
  apiserverLogs,
  logFiles,
  nodeObjects,
];

/**
 * The sources asked about each orphaned node object (and each hot node whose host Rancher
 * provisions: a v2prov or node-pool node), in order: each sees what the ones before it
 * gathered (the node agent's pod is found among the downstream cluster's).
 */
export const SUSPECT_COLLECTORS: readonly SuspectCollector[] = [
  downstreamCluster,
  capiMachine,
  nodeAgentLog,
  podsOnNode,
];

export type * from './collector.js';
