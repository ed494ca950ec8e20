import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { Retrier } from '../retry.js';
import { toDoctorError, type Caller } from './caller.js';
import type { Operation } from './hints.js';
import { managementNodeSchema, type ManagementNode } from './schemas.js';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: ManagementNode | null;
}

export interface WatchWindowOptions {
  namespace: string | null;
  resourceVersion?: string;
  seconds: number;
}

const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * A watch open at least this long worked: a failure after it starts a fresh count. Shorter, it
 * may be a server that accepts watches and drops them at once, which must still run out of
 * retries rather than loop for the whole window.
 */
const WORKED_AFTER_MS = 1000;

/** Pause after a watch the server closed cleanly but at once, so that it is not a busy loop. */
const QUICK_CLOSE_PAUSE_MS = 250;

/**
 * Watches node objects for `options.seconds`, reopening the watch whenever it ends early: at
 * once (from the last resourceVersion seen) when the server closed it, after a backoff when it
 * failed. Resolves when the window ends or `signal` aborts; throws when the failures run out or
 * one is not worth retrying.
 */
export async function watchWindow(
  kubeConfig: KubeConfig,
  caller: Caller,
  op: Operation,
  options: WatchWindowOptions,
  onEvent: (event: WatchEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const watch = new Watch(kubeConfig);
  const path = options.namespace
    ? `/apis/management.cattle.io/v3/namespaces/${options.namespace}/nodes`
    : '/apis/management.cattle.io/v3/nodes';
  const endAt = Date.now() + options.seconds * 1000;
  // Ends the window's watches and waits alike, at its end or when the caller aborts.
  const window = new AbortController();
  const windowTimer = setTimeout(() => window.abort(), options.seconds * 1000);
  const onOuterAbort = () => window.abort();
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (signal?.aborted) window.abort();
  const retrier = new Retrier(caller.retryOptions(op, window.signal));
  let resourceVersion = options.resourceVersion;
  try {
    while (!window.signal.aborted) {
      const remainingMs = endAt - Date.now();
      const startedAt = Date.now();
      const outcome = await new Promise<{ error: unknown; connected: boolean }>((resolve) => {
        let controller: AbortController | undefined;
        let done = false;
        let connected = false;
        const stop = (error: unknown) => {
          if (done) return;
          done = true;
          window.signal.removeEventListener('abort', onAbort);
          controller?.abort();
          resolve({ error, connected });
        };
        const onAbort = () => stop(null);
        if (window.signal.aborted) return stop(null);
        window.signal.addEventListener('abort', onAbort, { once: true });
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
            // client-node resolves after a failed request too, having called `done` first.
            if (!done) connected = true;
            controller = c;
            if (done) c.abort();
          })
          .catch((err: unknown) => stop(err));
      });
      if (window.signal.aborted) return;
      const lastedMs = Date.now() - startedAt;
      if (outcome.connected && lastedMs >= WORKED_AFTER_MS) retrier.succeeded();
      if (!outcome.error) {
        if (lastedMs < WORKED_AFTER_MS)
          await pause(Math.min(QUICK_CLOSE_PAUSE_MS, endAt - Date.now()), window.signal);
        continue;
      }
      if ((outcome.error as { name?: string }).name === 'AbortError') continue;
      try {
        await retrier.failed(outcome.error);
      } catch (error) {
        if (window.signal.aborted) return;
        throw toDoctorError(op, error);
      }
    }
  } finally {
    clearTimeout(windowTimer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** A wait that the window's end cuts short, quietly. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
