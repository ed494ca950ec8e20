import { Writable } from 'node:stream';
import {
  CoreV1Api,
  CustomObjectsApi,
  Log,
  Observable,
  PatchStrategy,
  PolicyV1Api,
  Watch,
  setHeaderOptions,
  type ConfigurationOptions,
  type KubeConfig,
  type RequestContext,
} from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { AccessError, TransientError } from '../errors.js';
import { childLogger } from '../log.js';
import { accessHint, describeOperation, type Operation } from './hints.js';
import { downstreamKubeConfig, localKubeConfig, type ResolvedKubeConfig } from './kubeconfig.js';
import { RetriesExhausted, classifyFailure, withRetry, type RetryPolicy } from './retry.js';
import {
  kubeNodeSchema,
  listSchema,
  managementClusterSchema,
  managementNodeSchema,
  parseObject,
  pdbSchema,
  podSchema,
  registrationTokenSchema,
  type KubeNode,
  type ManagementCluster,
  type ManagementNode,
  type Pod,
  type PodDisruptionBudget,
  type RegistrationToken,
} from './schemas.js';

const log = childLogger('rancher');

const MANAGEMENT = { group: 'management.cattle.io', version: 'v3' } as const;
export const APISERVER_SELECTOR = 'component=kube-apiserver';
export const NODE_AGENT_SELECTOR = 'app=cattle-agent';
export const NODE_AGENT_NAMESPACE = 'cattle-system';

export interface LogStreamOptions {
  sinceSeconds?: number;
  tailLines?: number;
  limitBytes?: number;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: ManagementNode | null;
}

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

/** The one door to the clusters. Everything else in the product goes through this. */
export interface ClusterAccess {
  readonly via: string;
  listClusters(signal?: AbortSignal): Promise<ManagementCluster[]>;
  getCluster(clusterId: string, signal?: AbortSignal): Promise<ManagementCluster>;
  /** All node objects (of one cluster namespace, or all), read in pages. */
  listNodeObjects(namespace: string | null, signal?: AbortSignal): Promise<ManagementNode[]>;
  getNodeObject(clusterId: string, nodeId: string, signal?: AbortSignal): Promise<ManagementNode>;
  /** Patches a node object with an RFC 7386 merge patch; dryRun asks the server to only validate. */
  patchNodeObject(
    clusterId: string,
    nodeId: string,
    mergePatch: Record<string, unknown>,
    options?: { dryRun?: boolean; fieldManager?: string },
    signal?: AbortSignal,
  ): Promise<ManagementNode>;
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
}

interface Caller {
  call<T>(op: Operation, fn: (options: ConfigurationOptions) => Promise<T>, signal?: AbortSignal): Promise<T>;
  policy: RetryPolicy;
  timeoutMs: number;
}

function combineSignals(timeoutMs: number, outer?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return outer ? AbortSignal.any([timeout, outer]) : timeout;
}

/**
 * Per-request middleware that puts a deadline (and the caller's abort) on the fetch. The
 * object-parameter API classes take observable-style middleware (client-node's rxjs stub).
 */
function deadlineOptions(timeoutMs: number, outer?: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(combineSignals(timeoutMs, outer));
          return new Observable(Promise.resolve(context));
        },
        post: (response: unknown) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  } as unknown as ConfigurationOptions;
}

/** Appends middleware from `extra` to `base` (both promise-style options). */
function withOptions(base: ConfigurationOptions, extra: ConfigurationOptions): ConfigurationOptions {
  const a = (base as { middleware?: unknown[] }).middleware ?? [];
  const b = (extra as { middleware?: unknown[] }).middleware ?? [];
  return { ...base, middleware: [...a, ...b], middlewareMergeStrategy: 'append' } as ConfigurationOptions;
}

function makeCaller(config: RancherConfig): Caller {
  const policy: RetryPolicy = {
    retries: config.retries,
    baseDelayMs: config.retryBaseDelayMs,
    maxDelayMs: config.retryMaxDelayMs,
  };
  return {
    policy,
    timeoutMs: config.requestTimeoutMs,
    async call(op, fn, signal) {
      try {
        return await withRetry(
          () => fn(deadlineOptions(config.requestTimeoutMs, signal)),
          policy,
          signal,
          (failure, delayMs, attempt) =>
            log.warn(
              { op: describeOperation(op), failure: failure.reason, delayMs, attempt },
              `retrying ${describeOperation(op)} after ${failure.reason}: attempt ${attempt} of ${policy.retries}, next in ${delayMs} ms`,
            ),
        );
      } catch (error) {
        throw toDoctorError(op, error);
      }
    },
  };
}

function toDoctorError(op: Operation, error: unknown): Error {
  if (error instanceof RetriesExhausted) {
    return new TransientError(`could not ${describeOperation(op)}: ${error.message}`);
  }
  const failure = classifyFailure(error);
  if (failure.kind === 'access') {
    return new AccessError(
      `could not ${describeOperation(op)}: HTTP ${failure.status}`,
      failure.status,
      accessHint(failure.status, op),
    );
  }
  if (failure.kind === 'transient') {
    return new TransientError(`could not ${describeOperation(op)}: ${failure.reason}`);
  }
  // Neither retryable nor an access refusal (TLS, a malformed answer...): say which call failed.
  // A plain Error still, so the queue treats it as before.
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`could not ${describeOperation(op)} (${op.via}): ${message}`, { cause: error });
}

/** The `limit` and `continue` of one page of a list call. */
interface PageRequest {
  limit: number;
  _continue: string | undefined;
}

/** Every page of a list, each page one call of its own (retried apart, with its own timeout). */
async function listAllPages<T>(
  caller: Caller,
  operation: Operation,
  fetchPage: (page: PageRequest, options: ConfigurationOptions) => Promise<unknown>,
  parse: (page: unknown) => { items: T[]; continueToken: string | null },
  signal?: AbortSignal,
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const request: PageRequest = { limit: PAGE_SIZE, _continue: cont };
    const page = parse(await caller.call(operation, (o) => fetchPage(request, o), signal));
    out.push(...page.items);
    cont = page.continueToken ?? undefined;
  } while (cont);
  return out;
}

const PAGE_SIZE = 500;

function parseList<T extends Parameters<typeof listSchema>[0]>(item: T, what: string) {
  const schema = listSchema(item);
  return (page: unknown) => {
    const parsed = parseObject(schema, page, what);
    return {
      items: parsed.items as import('zod').infer<T>[],
      continueToken: parsed.metadata.continue || null,
    };
  };
}

/** A log stream that failed after part of it was delivered; not retried. */
export class LogStreamBroken extends Error {
  constructor(pod: string, bytes: number, cause: Error) {
    super(`log stream of ${pod} broke after ${bytes} bytes (${cause.name})`);
    this.name = 'LogStreamBroken';
  }
}

/** Streams a pod's log into `sink` chunk by chunk; never holds the whole log. */
async function streamLog(
  resolved: ResolvedKubeConfig,
  caller: Caller,
  op: Operation,
  pod: Pod,
  options: LogStreamOptions,
  sink: (chunk: Buffer) => void,
  signal?: AbortSignal,
): Promise<void> {
  const container = pod.spec.containers[0]?.name;
  if (!container) throw new Error(`pod ${pod.metadata.name} has no container`);
  const namespace = pod.metadata.namespace ?? 'default';
  const logApi = new Log(resolved.kubeConfig);
  await caller.call(
    op,
    () =>
      new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        let controller: AbortController | undefined;
        let settled = false;
        let delivered = 0;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(idle);
          signal?.removeEventListener('abort', onAbort);
          if (err) {
            controller?.abort();
            // Once data reached the sink a retry would feed it twice: fail for good instead.
            reject(delivered > 0 ? new LogStreamBroken(pod.metadata.name, delivered, err) : err);
          } else resolve();
        };
        // A stalled stream is a timeout: the deadline is on silence, not on the whole transfer.
        const arm = () => {
          clearTimeout(idle);
          idle = setTimeout(() => {
            const e = new Error(`log stream of ${pod.metadata.name} stalled`);
            e.name = 'TimeoutError';
            finish(e);
          }, caller.timeoutMs);
        };
        const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        const writable = new Writable({
          write(chunk: Buffer, _enc, done) {
            arm();
            delivered += chunk.length;
            try {
              sink(chunk);
              done();
            } catch (e) {
              done(e as Error);
            }
          },
        });
        writable.on('finish', () => finish());
        writable.on('error', (e) => finish(e));
        arm();
        logApi
          .log(namespace, pod.metadata.name, container, writable, {
            sinceSeconds: options.sinceSeconds,
            tailLines: options.tailLines,
            limitBytes: options.limitBytes,
          })
          .then((c) => {
            controller = c;
            if (settled) c.abort();
          })
          .catch((e: unknown) => finish(e as Error));
      }),
    signal,
  );
}

function makeDownstream(config: RancherConfig, caller: Caller, clusterId: string): DownstreamAccess {
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

export function createClusterAccess(config: RancherConfig): ClusterAccess {
  const local = localKubeConfig(config);
  const caller = makeCaller(config);
  const custom = local.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = local.kubeConfig.makeApiClient(CoreV1Api);
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
      const raw: unknown = await caller.call(
        op('patch', 'nodes.management.cattle.io', clusterId),
        (o) =>
          custom.patchNamespacedCustomObject(
            {
              ...MANAGEMENT,
              namespace: clusterId,
              plural: 'nodes',
              name: nodeId,
              body: mergePatch,
              dryRun: options.dryRun ? 'All' : undefined,
              fieldManager: options.fieldManager ?? 'rancher-doctor',
            },
            withOptions(
              o,
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as ConfigurationOptions,
            ),
          ),
        signal,
      );
      return parseObject(managementNodeSchema, raw, `patched node object ${clusterId}/${nodeId}`);
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

const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

async function watchWindow(
  kubeConfig: KubeConfig,
  caller: Caller,
  op: Operation,
  options: { namespace: string | null; resourceVersion?: string; seconds: number },
  onEvent: (event: WatchEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const watch = new Watch(kubeConfig);
  const path = options.namespace
    ? `/apis/management.cattle.io/v3/namespaces/${options.namespace}/nodes`
    : '/apis/management.cattle.io/v3/nodes';
  const endAt = Date.now() + options.seconds * 1000;
  let resourceVersion = options.resourceVersion;
  let failures = 0;
  while (Date.now() < endAt && !signal?.aborted) {
    const remainingMs = endAt - Date.now();
    const startedAt = Date.now();
    const outcome = await new Promise<{ error: unknown }>((resolve) => {
      let controller: AbortController | undefined;
      let done = false;
      const stop = (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve({ error });
      };
      const timer = setTimeout(() => stop(null), remainingMs);
      const onAbort = () => stop(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      watch
        .watch(
          path,
          {
            allowWatchBookmarks: true,
            resourceVersion,
            timeoutSeconds: Math.max(1, Math.ceil(remainingMs / 1000)),
          },
          (phase, obj: unknown) => {
            if (!WATCH_EVENT_TYPES.has(phase)) return;
            const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
              ?.resourceVersion;
            if (typeof rv === 'string' && phase !== 'ERROR') resourceVersion = rv;
            if (phase === 'ERROR') {
              // 410 Gone: our resourceVersion is too old; resume from now on.
              resourceVersion = undefined;
              onEvent({ type: 'ERROR', object: null });
              return;
            }
            const parsed = managementNodeSchema.safeParse(obj);
            onEvent({ type: phase as WatchEvent['type'], object: parsed.success ? parsed.data : null });
          },
          (err: unknown) => stop(err ?? null),
        )
        .then((c) => {
          controller = c;
          if (done) c.abort();
        })
        .catch((err: unknown) => stop(err));
    });
    if (!outcome.error && Date.now() - startedAt < 1000 && Date.now() < endAt && !signal?.aborted) {
      // A server that closes watches at once must not turn this into a busy loop.
      await new Promise((r) => setTimeout(r, Math.min(250, endAt - Date.now())));
    }
    if (outcome.error && !signal?.aborted && Date.now() < endAt) {
      const name = (outcome.error as { name?: string }).name;
      if (name === 'AbortError') continue;
      const failure = classifyFailure(outcome.error);
      if (failure.kind !== 'transient' || ++failures > caller.policy.retries) {
        throw toDoctorError(
          op,
          failure.kind === 'transient' ? new RetriesExhausted(failure, failures) : outcome.error,
        );
      }
      await new Promise((r) =>
        setTimeout(r, Math.min(caller.policy.maxDelayMs, caller.policy.baseDelayMs * 2 ** failures)),
      );
    }
  }
}
