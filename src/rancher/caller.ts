import { Observable, type ConfigurationOptions, type RequestContext } from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { AccessError, TransientError } from '../errors.js';
import { childLogger } from '../log.js';
import { RetriesExhausted, withRetry, type RetryOptions, type RetryPolicy } from '../retry.js';
import { accessHint, describeOperation, type Operation } from './hints.js';
import { classifyFailure, kubernetesRetryVerdict } from './retry.js';

const log = childLogger('rancher');

/**
 * Makes every Kubernetes request of the product: each attempt with its own deadline, transient
 * failures retried, and what is left turned into the product's errors, naming the operation.
 */
export interface Caller {
  call<T>(op: Operation, fn: (options: ConfigurationOptions) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** How a loop of its own (the watch) retries: the same policy, logged the same way. */
  retryOptions(op: Operation, signal?: AbortSignal): RetryOptions;
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
export function deadlineOptions(timeoutMs: number, outer?: AbortSignal): ConfigurationOptions {
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
export function withOptions(base: ConfigurationOptions, extra: ConfigurationOptions): ConfigurationOptions {
  const a = (base as { middleware?: unknown[] }).middleware ?? [];
  const b = (extra as { middleware?: unknown[] }).middleware ?? [];
  return { ...base, middleware: [...a, ...b], middlewareMergeStrategy: 'append' } as ConfigurationOptions;
}

/** What a call to the apiserver came to, after its retries: for metrics. */
export type RequestOutcome = 'ok' | 'forbidden' | 'unauthorized' | 'not_found' | 'transient' | 'error';

export function makeCaller(config: RancherConfig, onOutcome?: (outcome: RequestOutcome) => void): Caller {
  const policy: RetryPolicy = {
    retries: config.retries,
    baseMs: config.retryBaseDelayMs,
    maxMs: config.retryMaxDelayMs,
  };
  const retryOptions = (op: Operation, signal?: AbortSignal): RetryOptions => ({
    policy,
    classify: kubernetesRetryVerdict,
    signal,
    onRetry: ({ reason, delayMs, attempt }) =>
      log.warn(
        { op: describeOperation(op), failure: reason, delayMs, attempt },
        `retrying ${describeOperation(op)} after ${reason}: attempt ${attempt} of ${policy.retries}, next in ${delayMs} ms`,
      ),
  });
  return {
    timeoutMs: config.requestTimeoutMs,
    retryOptions,
    async call(op, fn, signal) {
      try {
        const result = await withRetry(
          () => fn(deadlineOptions(config.requestTimeoutMs, signal)),
          retryOptions(op, signal),
        );
        onOutcome?.('ok');
        return result;
      } catch (error) {
        const failure = toDoctorError(op, error);
        onOutcome?.(outcomeOf(failure));
        throw failure;
      }
    },
  };
}

function outcomeOf(error: Error): RequestOutcome {
  if (error instanceof AccessError)
    return error.status === 403 ? 'forbidden' : error.status === 401 ? 'unauthorized' : 'not_found';
  return error instanceof TransientError ? 'transient' : 'error';
}

export function toDoctorError(op: Operation, error: unknown): Error {
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
