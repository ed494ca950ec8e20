import { CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import type { Caller } from './caller.js';
import type { Operation } from './hints.js';
import { downstreamKubeConfig } from './kubeconfig.js';
import { listAllPages, parseList } from './paging.js';
import { streamLog, type LogStreamOptions } from './pod-logs.js';
import {
  kubeNodeSchema,
  pdbSchema,
  podSchema,
  type KubeNode,
  type Pod,
  type PodDisruptionBudget,
} from './schemas.js';

export const NODE_AGENT_SELECTOR = 'app=cattle-agent';
export const NODE_AGENT_NAMESPACE = 'cattle-system';

/** Reads one downstream cluster. Built lazily; building fails when there is no way to reach it. */
export interface DownstreamAccess {
  readonly clusterId: string;
  readonly via: string;
  /** kubectl flags reaching the cluster the same way (for the drain steps); null when there are none. */
  readonly kubectl: string | null;
  listNodes(signal?: AbortSignal): Promise<KubeNode[]>;
  listPodsOnNode(nodeName: string, signal?: AbortSignal): Promise<Pod[]>;
  listPodDisruptionBudgets(signal?: AbortSignal): Promise<PodDisruptionBudget[]>;
  listNodeAgentPods(signal?: AbortSignal): Promise<Pod[]>;
  streamPodLog(
    pod: Pod,
    options: LogStreamOptions,
    sink: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

export function makeDownstream(config: RancherConfig, caller: Caller, clusterId: string): DownstreamAccess {
  const resolved = downstreamKubeConfig(config, clusterId);
  const core = resolved.kubeConfig.makeApiClient(CoreV1Api);
  const policy = resolved.kubeConfig.makeApiClient(PolicyV1Api);
  const op = (verb: string, resource: string, namespace: string | null): Operation => ({
    verb,
    resource,
    namespace,
    cluster: clusterId,
    via: resolved.via,
  });
  return {
    clusterId,
    via: resolved.via,
    kubectl: resolved.kubectl ?? null,
    async listNodes(signal) {
      return listAllPages(
        caller,
        op('list', 'nodes', null),
        (page, o) => core.listNode(page, o),
        parseList(kubeNodeSchema, `node list of ${clusterId}`),
        signal,
      );
    },
    async listPodsOnNode(nodeName, signal) {
      return listAllPages(
        caller,
        op('list', 'pods', null),
        (page, o) => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}`, ...page }, o),
        parseList(podSchema, `pod list of ${clusterId}`),
        signal,
      );
    },
    async listPodDisruptionBudgets(signal) {
      return listAllPages(
        caller,
        op('list', 'poddisruptionbudgets.policy', null),
        (page, o) => policy.listPodDisruptionBudgetForAllNamespaces(page, o),
        parseList(pdbSchema, `PodDisruptionBudget list of ${clusterId}`),
        signal,
      );
    },
    async listNodeAgentPods(signal) {
      return listAllPages(
        caller,
        op('list', 'pods', NODE_AGENT_NAMESPACE),
        (page, o) =>
          core.listNamespacedPod(
            { namespace: NODE_AGENT_NAMESPACE, labelSelector: NODE_AGENT_SELECTOR, ...page },
            o,
          ),
        parseList(podSchema, `cattle-node-agent pods of ${clusterId}`),
        signal,
      );
    },
    streamPodLog(pod, options, sink, signal) {
      return streamLog(
        resolved,
        caller,
        op('get', 'pods/log', pod.metadata.namespace ?? null),
        pod,
        options,
        sink,
        signal,
      );
    },
  };
}
