import { Writable } from 'node:stream';
import { Log } from '@kubernetes/client-node';
import type { Caller } from './caller.js';
import type { Operation } from './hints.js';
import type { ResolvedKubeConfig } from './kubeconfig.js';
import type { Pod } from './schemas.js';

export interface LogStreamOptions {
  sinceSeconds?: number;
  tailLines?: number;
  limitBytes?: number;
}

/** A log stream that failed after part of it was delivered; not retried. */
export class LogStreamBroken extends Error {
  constructor(pod: string, bytes: number, cause: Error) {
    super(`log stream of ${pod} broke after ${bytes} bytes (${cause.name})`);
    this.name = 'LogStreamBroken';
  }
}

/** Streams a pod's log into `sink` chunk by chunk; never holds the whole log. */
export async function streamLog(
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
