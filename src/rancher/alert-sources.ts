/**
 * What the alert detector reads from the local cluster: a watch of every node object that never
 * ends (resumed from its last resourceVersion, relisted in pages after 410 Gone), and the
 * apiserver's own /metrics. Both go easy on an apiserver that may be dying: every failure, a 429
 * or a 5xx above all, waits a backoff that grows to a minute, Retry-After honoured. The watch and
 * /metrics are read with rawGet, not client-node's Watch, which drops a failed answer's
 * Retry-After and Status.
 */
import { createInterface } from 'node:readline';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ApiserverMetrics, ApiserverMetricsSource, NodeWriteSource } from '../alerts/detector.js';
import type { RancherConfig } from '../config/rancher.js';
import { backoffDelay, Retrier, type RetryClock, type RetryPolicy } from '../retry.js';
import { deadlineOptions } from './caller.js';
import { localKubeConfig } from './kubeconfig.js';
import { ApiserverMetricsReader } from './metrics-text.js';
import { HttpFailure, rawGet } from './raw-get.js';
import { classifyFailure } from './retry.js';

const PAGE_SIZE = 500;
/** A watch is reopened this often even when the server keeps it, as kube's reflectors do. */
const WATCH_TIMEOUT_S = 300;
/** A watch connection silent this long past its timeout is dead. */
const WATCH_IDLE_MS = (WATCH_TIMEOUT_S + 60) * 1000;
/** The detector must keep trying however long the apiserver is away, never faster than this. */
const BACKOFF: RetryPolicy = { retries: Infinity, baseMs: 1000, maxMs: 60_000, maxRetryAfterMs: 120_000 };

export interface AlertSourceOptions {
  /** Backoff of the watch, the relists and the /metrics reads (tests shorten it). */
  backoff?: Partial<RetryPolicy>;
  clock?: Partial<RetryClock>;
}

export interface AlertSources {
  nodeWrites: NodeWriteSource;
  apiserverMetrics: ApiserverMetricsSource;
}

export function createAlertSources(config: RancherConfig, options: AlertSourceOptions = {}): AlertSources {
  const { kubeConfig } = localKubeConfig(config);
  return {
    nodeWrites: nodeWriteWatch(kubeConfig, config, options),
    apiserverMetrics: apiserverMetricsSource(kubeConfig, config.requestTimeoutMs, options),
  };
}

class GoneError extends Error {
  constructor() {
    super('resourceVersion too old (410 Gone)');
  }
}

/** An ERROR event of the watch: its Status's code, so that 429 and 5xx are classified as answers are. */
class WatchErrorEvent extends Error {
  constructor(
    readonly statusCode: number | undefined,
    reason: string | undefined,
  ) {
    super(`watch error ${statusCode ?? ''} ${reason ?? ''}`.trim());
  }
}

/** The server ended a watch before it delivered anything: reopened after a backoff, not at once. */
class EmptyWatch extends Error {
  constructor() {
    super('the watch ended before any event');
  }
}

function nodeWriteWatch(
  kubeConfig: KubeConfig,
  config: RancherConfig,
  options: AlertSourceOptions,
): NodeWriteSource {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);

  /**
   * The current resourceVersion, read page by page so that no answer holds every object. Called
   * directly, not through the caller's retries: a failure goes back to the watch's own backoff
   * with its status and Retry-After intact.
   */
  async function relist(signal: AbortSignal, listed?: (keys: string[]) => void): Promise<string> {
    let cont: string | undefined;
    let first: string | null = null;
    const keys: string[] = [];
    do {
      const page = (await custom.listClusterCustomObject(
        { group: 'management.cattle.io', version: 'v3', plural: 'nodes', limit: PAGE_SIZE, _continue: cont },
        deadlineOptions(config.requestTimeoutMs, signal),
      )) as {
        metadata?: { resourceVersion?: string; continue?: string };
        items?: { metadata?: { name?: string; namespace?: string } }[];
      };
      for (const { metadata } of page.items ?? [])
        if (metadata?.name && metadata.namespace) keys.push(`${metadata.namespace}/${metadata.name}`);
      first ??= page.metadata?.resourceVersion ?? null;
      cont = page.metadata?.continue || undefined;
    } while (cont && !signal.aborted);
    if (!first) throw new Error('the node object list has no resourceVersion');
    listed?.(keys);
    return first;
  }

  return {
    async run(handlers, signal) {
      const retrier = new Retrier({
        policy: { ...BACKOFF, ...options.backoff },
        classify: (error, now) => {
          const failure = classifyFailure(error, now);
          const retryAfterMs = failure.kind === 'transient' ? failure.retryAfterMs : null;
          return { retry: true, reason: failure.reason, retryAfterMs };
        },
        signal,
        clock: options.clock,
      });
      let resourceVersion: string | null = null;
      while (!signal.aborted) {
        try {
          if (resourceVersion === null) {
            resourceVersion = await relist(signal, handlers.listed);
            handlers.contact(true);
          }
          resourceVersion = await watchOnce(kubeConfig, resourceVersion, handlers, signal, () =>
            retrier.succeeded(),
          );
        } catch (error) {
          if (signal.aborted) return;
          const gone =
            error instanceof GoneError || (error instanceof HttpFailure && error.statusCode === 410);
          if (gone) resourceVersion = null;
          else if (!(error instanceof EmptyWatch)) handlers.contact(false);
          await retrier.failed(error).catch(() => undefined);
        }
      }
    },
  };
}

/**
 * One watch request, until the server ends it; returns the last resourceVersion seen. An event
 * delivered is the sign that the apiserver works again (`worked`): a watch that opens and then
 * fails keeps its backoff growing.
 */
async function watchOnce(
  kubeConfig: KubeConfig,
  from: string,
  handlers: Parameters<NodeWriteSource['run']>[0],
  signal: AbortSignal,
  worked: () => void,
): Promise<string> {
  let resourceVersion = from;
  const query = new URLSearchParams({
    watch: 'true',
    allowWatchBookmarks: 'true',
    resourceVersion,
    timeoutSeconds: String(WATCH_TIMEOUT_S),
  });
  const res = await rawGet(kubeConfig, `/apis/management.cattle.io/v3/nodes?${query}`, {
    signal,
    accept: 'application/json',
    idleMs: WATCH_IDLE_MS,
  });
  // The apiserver took the watch: contact, whether or not anything is written soon.
  handlers.contact(true);
  let events = 0;
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      let event: { type?: string; object?: Record<string, unknown> };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue;
      }
      const obj = event.object;
      if (event.type === 'ERROR') {
        const status = obj as { code?: number; reason?: string } | undefined;
        throw status?.code === 410 ? new GoneError() : new WatchErrorEvent(status?.code, status?.reason);
      }
      const meta = obj?.metadata as
        { name?: string; namespace?: string; resourceVersion?: string } | undefined;
      if (typeof meta?.resourceVersion === 'string') resourceVersion = meta.resourceVersion;
      if (events++ === 0) worked();
      if (event.type === 'BOOKMARK' || !meta?.name || !meta.namespace) continue;
      const key = `${meta.namespace}/${meta.name}`;
      if (event.type === 'DELETED') handlers.deleted(key);
      else if (event.type === 'ADDED' || event.type === 'MODIFIED') handlers.write(key);
    }
  } catch (error) {
    if (signal.aborted) return resourceVersion;
    throw error;
  } finally {
    lines.close();
    res.destroy();
  }
  if (!signal.aborted && events === 0) throw new EmptyWatch();
  return resourceVersion;
}

/**
 * GET /metrics of the local apiserver (needs `get` on the non-resource URL /metrics), read line
 * by line. After a failure no request goes out before the backoff (or the server's Retry-After)
 * has passed: the read fails at once instead, as if the apiserver had not answered.
 */
function apiserverMetricsSource(
  kubeConfig: KubeConfig,
  timeoutMs: number,
  options: AlertSourceOptions,
): ApiserverMetricsSource {
  const policy = { ...BACKOFF, ...options.backoff };
  const now = options.clock?.now ?? Date.now;
  const random = options.clock?.random ?? Math.random;
  let failures = 0;
  let notBefore = 0;
  return {
    async read(signal): Promise<ApiserverMetrics> {
      const at = now();
      if (at < notBefore) throw new Error(`backing off /metrics for ${notBefore - at} ms`);
      try {
        const res = await rawGet(kubeConfig, '/metrics', {
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          accept: 'text/plain',
          idleMs: timeoutMs,
        });
        const reader = new ApiserverMetricsReader();
        for await (const line of createInterface({ input: res, crlfDelay: Infinity })) reader.line(line);
        failures = 0;
        return reader.result();
      } catch (error) {
        failures++;
        const failure = classifyFailure(error, at);
        const retryAfterMs = failure.kind === 'transient' ? failure.retryAfterMs : null;
        notBefore =
          at +
          (retryAfterMs !== null
            ? Math.min(retryAfterMs, policy.maxRetryAfterMs ?? policy.maxMs)
            : backoffDelay(failures - 1, policy, random));
        throw error;
      }
    },
  };
}
