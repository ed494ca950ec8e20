/**
 * What the alert detector reads from the local cluster: a watch of every node object that never
 * ends (resumed from its last resourceVersion, relisted in pages after 410 Gone), and the
 * apiserver's own /metrics. Both go easy on an apiserver that may be dying: every failure, a 429
 * or a 5xx above all, waits a backoff that grows to a minute, Retry-After honoured.
 */
import http from 'node:http';
import https from 'node:https';
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { ApiserverMetrics, ApiserverMetricsSource, NodeWriteSource } from '../alerts/detector.js';
import type { RancherConfig } from '../config/rancher.js';
import { Retrier, type RetryClock, type RetryPolicy } from '../retry.js';
import { makeCaller } from './caller.js';
import { localKubeConfig } from './kubeconfig.js';
import { parseApiserverMetrics } from './metrics-text.js';
import { classifyFailure } from './retry.js';

const PAGE_SIZE = 500;
/** A watch is reopened this often even when the server keeps it, as kube's reflectors do. */
const WATCH_TIMEOUT_S = 300;
/** The detector must keep trying however long the apiserver is away, never faster than this. */
const BACKOFF: RetryPolicy = { retries: Infinity, baseMs: 1000, maxMs: 60_000, maxRetryAfterMs: 120_000 };

export interface AlertSourceOptions {
  /** Backoff of the watch and the relists (tests shorten it). */
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
    apiserverMetrics: { read: (signal) => readApiserverMetrics(kubeConfig, config.requestTimeoutMs, signal) },
  };
}

class GoneError extends Error {
  constructor() {
    super('resourceVersion too old (410 Gone)');
  }
}

function nodeWriteWatch(
  kubeConfig: KubeConfig,
  config: RancherConfig,
  options: AlertSourceOptions,
): NodeWriteSource {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const caller = makeCaller({ ...config, retries: 0 });
  const op = {
    verb: 'list',
    resource: 'nodes.management.cattle.io',
    namespace: null,
    cluster: 'local',
    via: 'kubeconfig',
  };

  /** The current resourceVersion, read page by page so that no answer holds every object. */
  async function relist(signal: AbortSignal, listed?: (keys: string[]) => void): Promise<string> {
    let cont: string | undefined;
    let first: string | null = null;
    const keys: string[] = [];
    do {
      const page = (await caller.call(
        op,
        (o) =>
          custom.listClusterCustomObject(
            {
              group: 'management.cattle.io',
              version: 'v3',
              plural: 'nodes',
              limit: PAGE_SIZE,
              _continue: cont,
            },
            o,
          ),
        signal,
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
      const watch = new Watch(kubeConfig);
      let resourceVersion: string | null = null;
      while (!signal.aborted) {
        try {
          resourceVersion ??= await relist(signal, handlers.listed);
          handlers.contact(true);
          resourceVersion = await watchOnce(watch, resourceVersion, handlers, signal, () =>
            retrier.succeeded(),
          );
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof GoneError) resourceVersion = null;
          else handlers.contact(false);
          await retrier.failed(error).catch(() => undefined);
        }
      }
    },
  };
}

/** One watch request, until the server ends it; returns the last resourceVersion seen. */
function watchOnce(
  watch: Watch,
  from: string,
  handlers: Parameters<NodeWriteSource['run']>[0],
  signal: AbortSignal,
  worked: () => void,
): Promise<string> {
  let resourceVersion = from;
  return new Promise<string>((resolve, reject) => {
    let controller: AbortController | null = null;
    let finished = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      if (error) reject(error);
      else resolve(resourceVersion);
    };
    const onAbort = () => finish(null);
    signal.addEventListener('abort', onAbort, { once: true });
    watch
      .watch(
        '/apis/management.cattle.io/v3/nodes',
        { allowWatchBookmarks: true, resourceVersion, timeoutSeconds: WATCH_TIMEOUT_S },
        (phase: string, obj: unknown) => {
          const meta = (obj as { metadata?: { name?: string; namespace?: string; resourceVersion?: string } })
            ?.metadata;
          if (phase === 'ERROR') {
            const code = (obj as { code?: number } | null)?.code;
            finish(code === 410 ? new GoneError() : new Error(`watch error ${code ?? ''}`.trim()));
            return;
          }
          if (typeof meta?.resourceVersion === 'string') resourceVersion = meta.resourceVersion;
          if (phase === 'BOOKMARK' || !meta?.name || !meta.namespace) return;
          const key = `${meta.namespace}/${meta.name}`;
          if (phase === 'DELETED') handlers.deleted(key);
          else if (phase === 'ADDED' || phase === 'MODIFIED') handlers.write(key);
        },
        (err: unknown) => finish(err ?? null),
      )
      .then((c) => {
        controller = c;
        if (finished) c.abort();
        else worked();
      })
      .catch(finish);
  });
}

/** GET /metrics of the local apiserver (needs `get` on the non-resource URL /metrics). */
async function readApiserverMetrics(
  kubeConfig: KubeConfig,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ApiserverMetrics> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('no current cluster in the kubeconfig');
  const url = new URL('/metrics', server);
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'text/plain' } };
  await kubeConfig.applyToHTTPSOptions(options);
  const body = await new Promise<string>((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(
      url,
      { ...options, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks).toString('utf8'))
            : reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
  return parseApiserverMetrics(body);
}
