import type {
  CapiMachine,
  KubeNode,
  ManagementCluster,
  ManagementNode,
  Pod,
  PodDisruptionBudget,
  ProvisioningCluster,
  RegistrationToken,
} from './objects.js';
import type { ActivitySummary } from './types.js';

/**
 * What the diagnosis reads, in its own terms. Whoever runs it injects the implementations (the
 * cluster edge in src/rancher, the files in src/io), so the diagnosis itself does no I/O.
 */

export interface LogReadOptions {
  sinceSeconds?: number;
  limitBytes?: number;
}

/** One event of a watch on node objects; `object` is null when it did not look like a node object. */
export interface NodeObjectEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: ManagementNode | null;
}

/** The Rancher local cluster. */
export interface LocalClusterReader {
  listClusters(signal?: AbortSignal): Promise<ManagementCluster[]>;
  /** All node objects, of one cluster namespace or of all. */
  listNodeObjects(namespace: string | null, signal?: AbortSignal): Promise<ManagementNode[]>;
  /** Resolves when the window ends or `signal` aborts; what it saw by then was handed to `onEvent`. */
  watchNodeObjects(
    options: { namespace: string | null; seconds: number },
    onEvent: (event: NodeObjectEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  listRegistrationTokens(clusterId: string, signal?: AbortSignal): Promise<RegistrationToken[]>;
  listApiserverPods(signal?: AbortSignal): Promise<Pod[]>;
  streamPodLog(
    pod: Pod,
    options: LogReadOptions,
    sink: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Rancher's version, from settings.management.cattle.io/server-version; null when there is no
   * such setting (404). Other failures throw: the caller decides they are not fatal.
   */
  getRancherVersion(signal?: AbortSignal): Promise<string | null>;
  /** clusters.provisioning.cattle.io of every namespace: which v2prov cluster is which c-m- id. */
  listProvisioningClusters(signal?: AbortSignal): Promise<ProvisioningCluster[]>;
  /** machines.cluster.x-k8s.io of one namespace (the fleet workspace, fleet-default). */
  listCapiMachines(namespace: string, signal?: AbortSignal): Promise<CapiMachine[]>;
}

/** One downstream cluster. */
export interface DownstreamReader {
  /** How it is reached, in words for the problems ("Rancher proxy https://..."). */
  readonly via: string;
  /** kubectl flags that reach it the same way (for the drain steps); null when there are none. */
  readonly kubectl: string | null;
  listNodes(signal?: AbortSignal): Promise<KubeNode[]>;
  listPodsOnNode(nodeName: string, signal?: AbortSignal): Promise<Pod[]>;
  listPodDisruptionBudgets(signal?: AbortSignal): Promise<PodDisruptionBudget[]>;
  listNodeAgentPods(signal?: AbortSignal): Promise<Pod[]>;
  streamPodLog(
    pod: Pod,
    options: LogReadOptions,
    sink: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** A failed read as a person should read it: what happened and what to grant or check. */
export interface ReadFailure {
  status: number | null;
  message: string;
  hint: string;
}

/** The clusters: the local one, the downstream ones, and what their failures mean. */
export interface ClusterPorts {
  local: LocalClusterReader;
  /** Throws when there is no way to reach that cluster (no proxy settings, no kubeconfig for it). */
  downstream(clusterId: string): DownstreamReader;
  /** Only the edge knows its own errors: it says what one of them means for the person. */
  explainFailure(error: unknown): ReadFailure;
}

export interface LogFileProgress {
  path: string;
  bytesDone: number;
}

/** Log files a person names (plain or gzipped, '-' for stdin), scanned whole. */
export interface LogFileReader {
  scan(files: string[], onProgress: (progress: LogFileProgress) => void): Promise<ActivitySummary>;
  /** Every line of the files again, in order (stdin cannot be read twice: skipped); absent where it cannot. */
  eachLine?(files: string[], onLine: (text: string) => void): Promise<void>;
}

export interface DiagnosisPorts extends ClusterPorts {
  logFiles: LogFileReader;
}
