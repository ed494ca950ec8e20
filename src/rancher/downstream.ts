import {
  ApiException,
  CoreV1Api,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type ConfigurationOptions,
} from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { withOptions, type Caller } from './caller.js';
import type { Operation } from './hints.js';
import { downstreamKubeConfig } from './kubeconfig.js';
import { listAllPages, parseList } from './paging.js';
import { streamLog, type LogStreamOptions } from './pod-logs.js';
import {
  kubeNodeSchema,
  parseObject,
  pdbSchema,
  podSchema,
  type KubeNode,
  type Pod,
  type PodDisruptionBudget,
} from './schemas.js';
import { writeRefusal } from './write-failure.js';

export const NODE_AGENT_SELECTOR = 'app=cattle-agent';
export const NODE_AGENT_NAMESPACE = 'cattle-system';

/** Reads one downstream cluster. Built lazily; building fails when there is no way to reach it. */
export interface DownstreamAccess {
  readonly clusterId: string;
  readonly via: string;
  /** Who the requests go as (the Rancher token's name, or the kubeconfig's user), for the audit trail. */
  readonly identity: string;
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
  /** The node, or null when it answers NotFound. */
  getNode(name: string, signal?: AbortSignal): Promise<KubeNode | null>;
  /** A merge patch of the node (cordon, uncordon); a refusal throws WriteRefusedError. */
  patchNode(
    name: string,
    mergePatch: Record<string, unknown>,
    options: { dryRun: boolean },
    signal?: AbortSignal,
  ): Promise<KubeNode>;
  getPod(namespace: string, name: string, signal?: AbortSignal): Promise<Pod | null>;
  /** policy/v1 Eviction: a PodDisruptionBudget's 429 and a 404 are answers, not failures. */
  evictPod(
    namespace: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<{ kind: 'evicted' } | { kind: 'blocked'; message: string } | { kind: 'gone' }>;
  /** Deletes the node with preconditions.uid; a refusal (409 on another uid) throws WriteRefusedError. */
  deleteNode(name: string, options: { uid: string; dryRun: boolean }, signal?: AbortSignal): Promise<void>;
}

/** Null for a 404 from the server, so that "gone" is an answer. */
async function orNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return null;
    throw error;
  }
}

/**
 * A PodDisruptionBudget's refusal: 429 with the eviction's own Status (reason TooManyRequests, a
 * DisruptionBudget cause, no Retry-After). Other 429s (API priority and fairness) are the
 * caller's to retry.
 */
function budgetRefusal(error: unknown): string | null {
  if (!(error instanceof ApiException) || error.code !== 429) return null;
  const body = (typeof error.body === 'string' ? safeJson(error.body) : error.body) as {
    message?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  } | null;
  const cause = body?.details?.causes?.find((c) => c.reason === 'DisruptionBudget');
  if (!cause && !/disruption budget/i.test(body?.message ?? '')) return null;
  return [body?.message, cause?.message].filter(Boolean).join(' ');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The apiserver's refusal of a write, when it explained one; else the error as the caller made it. */
function refusalOr(error: unknown, lastAttempt: unknown): unknown {
  const refusal = lastAttempt ? writeRefusal(lastAttempt) : null;
  return refusal && refusal.status !== 401 && refusal.status !== 404 ? refusal : error;
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
    identity: resolved.identity ?? resolved.via,
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
    async getNode(name, signal) {
      const raw: unknown = await caller.call(
        op('get', 'nodes', null),
        (o) => orNull(() => core.readNode({ name }, o)),
        signal,
      );
      return raw === null ? null : parseObject(kubeNodeSchema, raw, `node ${name} of ${clusterId}`);
    },
    async patchNode(name, mergePatch, options, signal) {
      let last: unknown = null;
      try {
        const raw: unknown = await caller.call(
          op('patch', 'nodes', null),
          (o) =>
            core
              .patchNode(
                {
                  name,
                  body: mergePatch,
                  dryRun: options.dryRun ? 'All' : undefined,
                  fieldManager: 'rancher-doctor',
                },
                withOptions(
                  o,
                  setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as ConfigurationOptions,
                ),
              )
              .catch((error: unknown) => {
                last = error;
                throw error;
              }),
          signal,
        );
        return parseObject(kubeNodeSchema, raw, `patched node ${name} of ${clusterId}`);
      } catch (error) {
        throw refusalOr(error, last);
      }
    },
    async getPod(namespace, name, signal) {
      const raw: unknown = await caller.call(
        op('get', 'pods', namespace),
        (o) => orNull(() => core.readNamespacedPod({ namespace, name }, o)),
        signal,
      );
      return raw === null ? null : parseObject(podSchema, raw, `pod ${namespace}/${name} of ${clusterId}`);
    },
    async evictPod(namespace, name, signal) {
      return caller.call(
        op('create', 'pods/eviction', namespace),
        async (o) => {
          try {
            await core.createNamespacedPodEviction(
              {
                namespace,
                name,
                body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
              },
              o,
            );
            return { kind: 'evicted' as const };
          } catch (error) {
            if (error instanceof ApiException && error.code === 404) return { kind: 'gone' as const };
            const budget = budgetRefusal(error);
            if (budget !== null) return { kind: 'blocked' as const, message: budget };
            throw error;
          }
        },
        signal,
      );
    },
    async deleteNode(name, options, signal) {
      let last: unknown = null;
      try {
        await caller.call(
          op('delete', 'nodes', null),
          (o) =>
            core
              .deleteNode(
                {
                  name,
                  dryRun: options.dryRun ? 'All' : undefined,
                  body: { preconditions: { uid: options.uid } },
                },
                o,
              )
              .catch((error: unknown) => {
                last = error;
                throw error;
              }),
          signal,
        );
      } catch (error) {
        throw refusalOr(error, last);
      }
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
