/**
 * ClusterAccess, the one door to the clusters, assembled from its parts: requests with deadlines
 * and retries (caller.ts), lists read page by page (paging.ts), pod logs streamed (pod-logs.ts),
 * the churn watch (watch.ts) and the downstream clusters (downstream.ts). The types other code
 * uses are exported from here.
 */
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
} from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { makeCaller, withOptions, type RequestOutcome } from './caller.js';
import { makeDownstream, type DownstreamAccess } from './downstream.js';
import type { Operation } from './hints.js';
import { localKubeConfig } from './kubeconfig.js';
import { listAllPages, parseList } from './paging.js';
import { streamLog, type LogStreamOptions } from './pod-logs.js';
import {
  capiMachineSchema,
  crdSchema,
  managementClusterSchema,
  managementNodeSchema,
  parseObject,
  podSchema,
  provisioningClusterSchema,
  registrationTokenSchema,
  settingSchema,
  type CapiMachine,
  type CustomResourceDefinition,
  type ManagementCluster,
  type ManagementNode,
  type Pod,
  type ProvisioningCluster,
  type RegistrationToken,
} from './schemas.js';
import { watchWindow, type WatchEvent } from './watch.js';
import { writeRefusal } from './write-failure.js';
import { AccessError, WriteRefusedError } from '../errors.js';

export { NODE_AGENT_NAMESPACE, NODE_AGENT_SELECTOR, type DownstreamAccess } from './downstream.js';
export { LogStreamBroken, type LogStreamOptions } from './pod-logs.js';
export type { WatchEvent } from './watch.js';

const MANAGEMENT = { group: 'management.cattle.io', version: 'v3' } as const;
const PROVISIONING = { group: 'provisioning.cattle.io', version: 'v1' } as const;
const CAPI = { group: 'cluster.x-k8s.io', version: 'v1beta1' } as const;
export const APISERVER_SELECTOR = 'component=kube-apiserver';

/** The one door to the clusters. Everything else in the product goes through this. */
export interface ClusterAccess {
  readonly via: string;
  /** The kubeconfig user the local cluster is reached as (for audit entries); null in-cluster or unnamed. */
  readonly user: string | null;
  listClusters(signal?: AbortSignal): Promise<ManagementCluster[]>;
  getCluster(clusterId: string, signal?: AbortSignal): Promise<ManagementCluster>;
  /** All node objects (of one cluster namespace, or all), read in pages. */
  listNodeObjects(namespace: string | null, signal?: AbortSignal): Promise<ManagementNode[]>;
  getNodeObject(clusterId: string, nodeId: string, signal?: AbortSignal): Promise<ManagementNode>;
  /**
   * Patches a node object (or its /status) with an RFC 7386 merge patch; dryRun asks the server to
   * only validate. A refusal the apiserver explains (409, 422, a webhook's 500 or 403...) throws
   * WriteRefusedError with its Status message.
   */
  patchNodeObject(
    clusterId: string,
    nodeId: string,
    mergePatch: Record<string, unknown>,
    options?: { dryRun?: boolean; fieldManager?: string; subresource?: 'status' },
    signal?: AbortSignal,
  ): Promise<ManagementNode>;
  /** The CustomResourceDefinition nodes.management.cattle.io, to learn its subresources. */
  getNodeObjectCrd(signal?: AbortSignal): Promise<CustomResourceDefinition>;
  /**
   * Watches node objects (all namespaces, or one) for `seconds`, from `resourceVersion`; resumes
   * when the server closes the watch early. Resolves when the window ends or `signal` aborts.
   */
  watchNodeObjects(
    options: { namespace: string | null; resourceVersion?: string; seconds: number },
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  listRegistrationTokens(clusterId: string, signal?: AbortSignal): Promise<RegistrationToken[]>;
  listApiserverPods(signal?: AbortSignal): Promise<Pod[]>;
  streamPodLog(
    pod: Pod,
    options: LogStreamOptions,
    sink: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  downstream(clusterId: string): DownstreamAccess;
  /** settings.management.cattle.io/server-version's value; null when the setting does not exist (404). */
  getRancherVersion(signal?: AbortSignal): Promise<string | null>;
  /** A Kubernetes Event on a node object, for people who look there (kubectl describe, events). */
  recordNodeObjectEvent(event: NodeObjectEvent, signal?: AbortSignal): Promise<void>;
  listProvisioningClusters(signal?: AbortSignal): Promise<ProvisioningCluster[]>;
  listCapiMachines(namespace: string, signal?: AbortSignal): Promise<CapiMachine[]>;
}

export interface NodeObjectEvent {
  clusterId: string;
  nodeId: string;
  uid: string | null;
  reason: string;
  message: string;
}

export function createClusterAccess(
  config: RancherConfig,
  onRequest?: (outcome: RequestOutcome) => void,
): ClusterAccess {
  const local = localKubeConfig(config);
  const caller = makeCaller(config, onRequest);
  const custom = local.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = local.kubeConfig.makeApiClient(CoreV1Api);
  const extensions = local.kubeConfig.makeApiClient(ApiextensionsV1Api);
  const op = (verb: string, resource: string, namespace: string | null): Operation => ({
    verb,
    resource,
    namespace,
    cluster: 'local',
    via: local.via,
  });
  const downstreams = new Map<string, DownstreamAccess>();

  return {
    via: local.via,
    user: local.kubeConfig.getCurrentUser()?.name ?? null,
    async listClusters(signal) {
      return listAllPages(
        caller,
        op('list', 'clusters.management.cattle.io', null),
        (page, o) => custom.listClusterCustomObject({ ...MANAGEMENT, plural: 'clusters', ...page }, o),
        parseList(managementClusterSchema, 'cluster list'),
        signal,
      );
    },
    async getCluster(clusterId, signal) {
      const raw: unknown = await caller.call(
        op('get', 'clusters.management.cattle.io', null),
        (o) => custom.getClusterCustomObject({ ...MANAGEMENT, plural: 'clusters', name: clusterId }, o),
        signal,
      );
      return parseObject(managementClusterSchema, raw, `cluster ${clusterId}`);
    },
    async listNodeObjects(namespace, signal) {
      return listAllPages(
        caller,
        op('list', 'nodes.management.cattle.io', namespace),
        (page, o) =>
          namespace
            ? custom.listNamespacedCustomObject({ ...MANAGEMENT, namespace, plural: 'nodes', ...page }, o)
            : custom.listClusterCustomObject({ ...MANAGEMENT, plural: 'nodes', ...page }, o),
        parseList(managementNodeSchema, 'node object list'),
        signal,
      );
    },
    async getNodeObject(clusterId, nodeId, signal) {
      const raw: unknown = await caller.call(
        op('get', 'nodes.management.cattle.io', clusterId),
        (o) =>
          custom.getNamespacedCustomObject(
            { ...MANAGEMENT, namespace: clusterId, plural: 'nodes', name: nodeId },
            o,
          ),
        signal,
      );
      return parseObject(managementNodeSchema, raw, `node object ${clusterId}/${nodeId}`);
    },
    async patchNodeObject(clusterId, nodeId, mergePatch, options = {}, signal) {
      const status = options.subresource === 'status';
      const operation = op('patch', `nodes.management.cattle.io${status ? '/status' : ''}`, clusterId);
      const params = {
        ...MANAGEMENT,
        namespace: clusterId,
        plural: 'nodes',
        name: nodeId,
        body: mergePatch,
        dryRun: options.dryRun ? 'All' : undefined,
        fieldManager: options.fieldManager ?? 'rancher-doctor',
      };
      let last: unknown = null;
      try {
        const raw: unknown = await caller.call(
          operation,
          (o) => {
            const merged = withOptions(
              o,
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as ConfigurationOptions,
            );
            const sent = status
              ? custom.patchNamespacedCustomObjectStatus(params, merged)
              : custom.patchNamespacedCustomObject(params, merged);
            return sent.catch((error: unknown) => {
              last = error;
              throw error;
            });
          },
          signal,
        );
        return parseObject(managementNodeSchema, raw, `patched node object ${clusterId}/${nodeId}`);
      } catch (error) {
        throw refusedWrite(error, last);
      }
    },
    async getNodeObjectCrd(signal) {
      const raw: unknown = await caller.call(
        op('get', 'customresourcedefinitions.apiextensions.k8s.io', null),
        (o) => extensions.readCustomResourceDefinition({ name: 'nodes.management.cattle.io' }, o),
        signal,
      );
      return parseObject(crdSchema, raw, 'customresourcedefinition nodes.management.cattle.io');
    },
    async watchNodeObjects(options, onEvent, signal) {
      await watchWindow(
        local.kubeConfig,
        caller,
        op('watch', 'nodes.management.cattle.io', options.namespace),
        options,
        onEvent,
        signal,
      );
    },
    async listRegistrationTokens(clusterId, signal) {
      return listAllPages(
        caller,
        op('list', 'clusterregistrationtokens.management.cattle.io', clusterId),
        (page, o) =>
          custom.listNamespacedCustomObject(
            { ...MANAGEMENT, namespace: clusterId, plural: 'clusterregistrationtokens', ...page },
            o,
          ),
        parseList(registrationTokenSchema, `registration tokens of ${clusterId}`),
        signal,
      );
    },
    async listApiserverPods(signal) {
      return listAllPages(
        caller,
        op('list', 'pods', 'kube-system'),
        (page, o) =>
          core.listNamespacedPod({ namespace: 'kube-system', labelSelector: APISERVER_SELECTOR, ...page }, o),
        parseList(podSchema, 'kube-apiserver pods'),
        signal,
      );
    },
    streamPodLog(pod, options, sink, signal) {
      return streamLog(
        local,
        caller,
        op('get', 'pods/log', pod.metadata.namespace ?? null),
        pod,
        options,
        sink,
        signal,
      );
    },
    async recordNodeObjectEvent(event, signal) {
      const now = new Date().toISOString();
      await caller.call(
        op('create', 'events', event.clusterId),
        (o) =>
          core.createNamespacedEvent(
            {
              namespace: event.clusterId,
              body: {
                metadata: { generateName: `${event.nodeId}.` },
                involvedObject: {
                  apiVersion: 'management.cattle.io/v3',
                  kind: 'Node',
                  namespace: event.clusterId,
                  name: event.nodeId,
                  ...(event.uid ? { uid: event.uid } : {}),
                },
                reason: event.reason,
                message: event.message,
                type: 'Normal',
                count: 1,
                firstTimestamp: new Date(now),
                lastTimestamp: new Date(now),
                source: { component: 'rancher-doctor' },
                reportingComponent: 'rancher-doctor',
              },
            },
            o,
          ),
        signal,
      );
    },
    async getRancherVersion(signal) {
      let raw: unknown;
      try {
        raw = await caller.call(
          op('get', 'settings.management.cattle.io', null),
          (o) =>
            custom.getClusterCustomObject({ ...MANAGEMENT, plural: 'settings', name: 'server-version' }, o),
          signal,
        );
      } catch (error) {
        if (error instanceof AccessError && error.status === 404) return null;
        throw error;
      }
      const setting = parseObject(settingSchema, raw, 'setting server-version');
      return setting.value || setting.default || null;
    },
    async listProvisioningClusters(signal) {
      return listAllPages(
        caller,
        op('list', 'clusters.provisioning.cattle.io', null),
        (page, o) => custom.listClusterCustomObject({ ...PROVISIONING, plural: 'clusters', ...page }, o),
        parseList(provisioningClusterSchema, 'provisioning cluster list'),
        signal,
      );
    },
    async listCapiMachines(namespace, signal) {
      return listAllPages(
        caller,
        op('list', 'machines.cluster.x-k8s.io', namespace),
        (page, o) =>
          custom.listNamespacedCustomObject({ ...CAPI, namespace, plural: 'machines', ...page }, o),
        parseList(capiMachineSchema, `machines of ${namespace}`),
        signal,
      );
    },
    downstream(clusterId) {
      let d = downstreams.get(clusterId);
      if (!d) {
        d = makeDownstream(config, caller, clusterId);
        downstreams.set(clusterId, d);
      }
      return d;
    },
  };
}

/**
 * The apiserver's own words for a refused write, where it gave some: a webhook's denial or a
 * conflict says more than "HTTP 500". Not found and unauthorized stay the access errors they are.
 */
function refusedWrite(error: unknown, lastAttempt: unknown): unknown {
  const refusal = writeRefusal(error) ?? writeRefusal(lastAttempt);
  if (!refusal || refusal.status === 401 || refusal.status === 404) return error;
  if (refusal.status === 403 && error instanceof AccessError)
    return new WriteRefusedError(`${refusal.message} (${error.hint})`, 403, refusal.reason);
  return refusal;
}
