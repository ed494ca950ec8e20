/**
 * Rancher's nodesyncer, for the part the drain relies on: once a downstream Kubernetes node is
 * deleted, the machine- node object that mirrored it is deleted from the local cluster
 * (pkg/controllers/managementuser/nodesyncer). The m- objects of registered hosts are left to the
 * node controller, which is not modelled.
 */
import type { ClusterState } from './api.js';

export function startNodesyncer(local: ClusterState, downstream: Map<string, ClusterState>): void {
  const rancherNodes = local.registry.lookup('management.cattle.io', 'v3', 'nodes');
  if (!rancherNodes) return;
  for (const [clusterId, cluster] of downstream) {
    cluster.store.onEvent((event) => {
      if (event.type !== 'DELETED' || event.info.resource !== 'nodes' || event.info.group !== '') return;
      const name = event.entry.obj.metadata.name;
      // After the event, as Rancher's controller sees it from its own watch.
      setImmediate(() => {
        for (const entry of local.store.list(rancherNodes, clusterId)) {
          const obj = entry.obj as { metadata: { name: string }; status?: { nodeName?: string } };
          if (obj.metadata.name.startsWith('machine-') && obj.status?.nodeName === name)
            local.store.delete(rancherNodes, clusterId, obj.metadata.name);
        }
      });
    });
  }
}
