import { isV2provClusterId, locateDownstreamNode } from '../nodes.js';
import type { CapiMachine, ManagementNode, ProvisioningCluster } from '../objects.js';
import type { MachineFacts, SuspectCollector } from './collector.js';
import { attempt } from './optional-read.js';

/** Where Rancher keeps v2prov clusters and their Machines unless a fleet workspace says otherwise. */
export const FLEET_DEFAULT = 'fleet-default';
/** Set by CAPI on the Kubernetes node, copied by the nodesyncer into status.nodeAnnotations. */
const MACHINE_ANNOTATION = 'cluster.x-k8s.io/machine';
const MACHINE_NAMESPACE_ANNOTATION = 'cluster.x-k8s.io/cluster-namespace';
const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';

/**
 * The CAPI Machine behind a v2prov node object, which is what removing the node deletes (since
 * 2.7.7 deleting the Kubernetes node no longer removes it). Found by the Machine annotation the node
 * carries, else among the Machines of the provisioning cluster whose status.clusterName is the
 * node's cluster, by status.nodeRef.
 */
export const capiMachine: SuspectCollector = {
  name: 'CAPI machine',
  async collect(context) {
    const { clusterId, node } = context.subject.suspect;
    if (!isV2provClusterId(clusterId) && context.subject.suspect.cluster?.kind !== 'v2prov') return {};
    const { ports, signal } = context;
    const provisioning = await context.once('provisioning clusters', () =>
      attempt(context, 'clusters.provisioning.cattle.io', () => ports.local.listProvisioningClusters(signal)),
    );
    const owner = provisioning?.find((c) => c.status.clusterName === clusterId) ?? null;
    const annotations = node.status.nodeAnnotations ?? {};
    const namespace = annotations[MACHINE_NAMESPACE_ANNOTATION] ?? owner?.metadata.namespace ?? FLEET_DEFAULT;
    const machines = await context.once(`machines ${namespace}`, () =>
      attempt(context, `machines.cluster.x-k8s.io in ${namespace}`, () =>
        ports.local.listCapiMachines(namespace, signal),
      ),
    );
    if (machines === null) return { machine: null };
    const nodeName = locateDownstreamNode(node, context.subject.gathered.downstream?.nodes ?? null).name;
    return { machine: findMachine(node, nodeName, owner, machines, namespace) };
  },
};

export function findMachine(
  node: ManagementNode,
  nodeName: string | null,
  owner: ProvisioningCluster | null,
  machines: CapiMachine[],
  namespace: string,
): MachineFacts | null {
  const named = node.status.nodeAnnotations?.[MACHINE_ANNOTATION];
  const byAnnotation = named ? machines.find((m) => m.metadata.name === named) : undefined;
  const ofCluster = (m: CapiMachine) =>
    owner === null ||
    m.spec.clusterName === owner.metadata.name ||
    m.metadata.labels?.[CLUSTER_NAME_LABEL] === owner.metadata.name;
  const byNodeRef =
    nodeName === null ? undefined : machines.find((m) => ofCluster(m) && m.status.nodeRef?.name === nodeName);
  const machine = byAnnotation ?? byNodeRef;
  if (!machine) return null;
  return {
    namespace: machine.metadata.namespace ?? namespace,
    name: machine.metadata.name,
    infrastructureKind: machine.spec.infrastructureRef?.kind ?? null,
    phase: machine.status.phase ?? null,
    matchedBy: byAnnotation
      ? `the node's ${MACHINE_ANNOTATION} annotation`
      : `its status.nodeRef (Kubernetes node ${nodeName})`,
  };
}
