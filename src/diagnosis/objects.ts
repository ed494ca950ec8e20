/**
 * The Kubernetes and Rancher objects the diagnosis reads, in its own terms: only the fields it
 * uses. The cluster edge validates what it reads and hands over values of these shapes; the
 * objects keep every other field they had (a patch plan's diff shows the whole object).
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[] | null;
  creationTimestamp?: unknown;
  deletionTimestamp?: unknown;
}

export interface NodeAddress {
  type: string;
  address: string;
}

/** status.rkeNode: how RKE reaches the host; a custom cluster's healthy node object has it. */
export interface RkeNode {
  nodeName?: string;
  address?: string;
  port?: string;
  internalAddress?: string;
  role?: string[] | null;
  hostnameOverride?: string;
  user?: string;
  dockerSocket?: string;
}

export interface CustomConfig {
  address?: string;
  internalAddress?: string;
  user?: string;
  dockerSocket?: string;
}

/** nodes.management.cattle.io */
export interface ManagementNode {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    etcd?: boolean;
    controlPlane?: boolean;
    worker?: boolean;
    imported?: boolean;
    displayName?: string;
    requestedHostname?: string;
    nodePoolName?: string;
    customConfig?: CustomConfig | null;
  };
  status: {
    nodeName?: string;
    rkeNode?: RkeNode | null;
    internalNodeStatus?: { addresses?: NodeAddress[] | null } | null;
    nodeLabels?: Record<string, string> | null;
    /** The Kubernetes node's annotations; CAPI's `cluster.x-k8s.io/machine` names a v2prov node's Machine. */
    nodeAnnotations?: Record<string, string> | null;
  };
}

/** clusters.management.cattle.io */
export interface ManagementCluster {
  metadata: ObjectMeta;
  spec: { displayName?: string; rancherKubernetesEngineConfig?: unknown; internal?: boolean };
  status: { driver?: string; appliedSpec?: { displayName?: string } | null };
}

/** clusterregistrationtokens.management.cattle.io */
export interface RegistrationToken {
  metadata: ObjectMeta;
  status: { nodeCommand?: string; token?: string };
}

export interface Pod {
  metadata: ObjectMeta;
  spec: { nodeName?: string; containers: { name: string }[] };
  status: { hostIP?: string; phase?: string };
}

/** A Kubernetes node of a downstream cluster. */
export interface KubeNode {
  metadata: ObjectMeta;
  spec: { unschedulable?: boolean };
  status: { addresses?: NodeAddress[] | null };
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

export interface PodDisruptionBudget {
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector | null };
  status: { disruptionsAllowed?: number };
}

/** clusters.provisioning.cattle.io (v2prov, in a fleet workspace such as fleet-default). */
export interface ProvisioningCluster {
  metadata: ObjectMeta;
  /** `clusterName` is the management cluster's id (c-m-...). */
  status: { clusterName?: string };
}

/** machines.cluster.x-k8s.io: the CAPI Machine behind a v2prov node. */
export interface CapiMachine {
  metadata: ObjectMeta;
  spec: {
    clusterName?: string;
    /** kind CustomMachine (rke.cattle.io) for a custom host; a node driver's machine kind otherwise. */
    infrastructureRef?: { kind?: string; name?: string } | null;
  };
  status: { nodeRef?: { name?: string } | null; phase?: string };
}
