import { parseRetryAfter, type Classify } from '../retry.js';

/**
 * Which cluster failures are worth retrying; the waiting is src/retry.ts's. Pure, so that it can
 * be tested without a server.
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

export function classifyFailure(error: unknown, now: number = Date.now()): FailureClass {
  const err = (error && typeof error === 'object' ? error : {}) as ErrorLike;
  const message = typeof err.message === 'string' ? err.message : String(error);
  const status = statusOf(err);
  if (status === 401 || status === 403 || status === 404) {
    return { kind: 'access', status, reason: message };
  }
  if (status === 429 || (status !== null && status >= 500)) {
    // client-node turns network failures into ApiException(500) in some paths (Log); keep them
    // transient, which is what a 5xx is anyway.
    const retryAfterMs = parseRetryAfter(headerValue(err.headers, 'retry-after'), now);
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

/** The Kubernetes classification as the retry helper asks for it. */
export const kubernetesRetryVerdict: Classify = (error, now) => {
  const failure = classifyFailure(error, now);
  return failure.kind === 'transient'
    ? { retry: true, reason: failure.reason, retryAfterMs: failure.retryAfterMs }
    : { retry: false };
};
