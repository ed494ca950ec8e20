/**
 * Which cluster failures are worth retrying, and the bounded retry loop itself. Classification is
 * pure so that it can be tested without a server.
 */

export type FailureClass =
  | { kind: 'transient'; status: number | null; retryAfterMs: number | null; reason: string }
  | { kind: 'access'; status: 401 | 403 | 404; reason: string }
  | { kind: 'fatal'; status: number | null; reason: string };

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  headers?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  type?: unknown;
  errno?: unknown;
}

function statusOf(err: ErrorLike): number | null {
  for (const v of [err.code, err.status, err.statusCode]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return null;
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  const h = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  if (typeof h.get === 'function') {
    const v = h.get(name);
    return typeof v === 'string' ? v : null;
  }
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return null;
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function networkCode(err: ErrorLike, depth = 0): string | null {
  if (typeof err.code === 'string' && TRANSIENT_CODES.has(err.code)) return err.code;
  if (typeof err.errno === 'string' && TRANSIENT_CODES.has(err.errno)) return err.errno;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timeout';
  if (err.type === 'request-timeout' || err.type === 'aborted') return 'timeout';
  if (depth < 3 && err.cause && typeof err.cause === 'object') {
    return networkCode(err.cause as ErrorLike, depth + 1);
  }
  return null;
}

export function classifyFailure(error: unknown): FailureClass {
  const err = (error && typeof error === 'object' ? error : {}) as ErrorLike;
  const message = typeof err.message === 'string' ? err.message : String(error);
  const status = statusOf(err);
  if (status === 401 || status === 403 || status === 404) {
    return { kind: 'access', status, reason: message };
  }
  if (status === 429 || (status !== null && status >= 500)) {
    // client-node turns network failures into ApiException(500) in some paths (Log); keep them
    // transient, which is what a 5xx is anyway.
    const retryAfterMs = parseRetryAfter(headerValue(err.headers, 'retry-after'));
    return { kind: 'transient', status, retryAfterMs, reason: `HTTP ${status}` };
  }
  const net = networkCode(err);
  if (net) return { kind: 'transient', status: null, retryAfterMs: null, reason: net };
  // node-fetch wraps socket errors as FetchError with the errno in .code or in the message.
  if (/ECONNRESET|ECONNREFUSED|socket hang up|ETIMEDOUT|network timeout/i.test(message)) {
    return { kind: 'transient', status: null, retryAfterMs: null, reason: message };
  }
  return { kind: 'fatal', status, reason: message };
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with full jitter; a server's Retry-After wins but is capped too. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class RetriesExhausted extends Error {
  readonly last: FailureClass;
  readonly attempts: number;
  constructor(last: FailureClass, attempts: number) {
    super(`${last.reason} after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
    this.last = last;
    this.attempts = attempts;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error (rethrown as is), or the
 * retries run out (RetriesExhausted carrying the last classification).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (failure: FailureClass, delayMs: number, attempt: number) => void,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = classifyFailure(error);
      if (failure.kind !== 'transient') throw error;
      if (n >= policy.retries) throw new RetriesExhausted(failure, n + 1);
      const delay = backoffDelay(n, policy, failure.retryAfterMs);
      onRetry?.(failure, delay, n + 1);
      await sleep(delay, signal);
    }
  }
}
