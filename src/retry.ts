/**
 * The one retry helper. Every loop that tries something again (a Kubernetes request, a watch, a
 * Slack connection, a Redis reconnect, a Redis step after an ack) waits the same way: exponential
 * backoff with full jitter, a server's Retry-After honoured up to a cap, a bound on failures, and
 * an abort signal that ends a wait at once. Full jitter (a wait anywhere between 0 and the
 * ceiling) spreads the retries of many clients failing together best; with a fixed part in the
 * wait they would still come back in a wave.
 *
 * What is worth retrying is the caller's to say (`classify`): only it knows its errors. Time,
 * sleep and chance are injectable so that tests run on a fake clock.
 *
 * One call: `withRetry(fn, options)`. A loop that runs for ever (a watch, a socket) keeps a
 * `Retrier`: `failed(err)` after each failure (it waits, or throws when the failure is not worth
 * retrying or the failures ran out), `succeeded()` once an attempt has worked, so that a failure
 * days later starts from the first, short wait again and counts against a fresh bound.
 */

export interface Backoff {
  /** Ceiling of the wait after the first failure; doubles with each further failure. */
  baseMs: number;
  /** No wait is longer than this, whatever the failure count. */
  maxMs: number;
}

export interface RetryPolicy extends Backoff {
  /** Retries after the first failure: `retries + 1` failures in a row give up. Infinity: never. */
  retries: number;
  /** Longest wait a server may ask for (Retry-After); a longer one is cut to this. Default maxMs. */
  maxRetryAfterMs?: number;
}

/** Whether a failure is worth another try, and how long the server asked to wait. */
export type Verdict =
  | { retry: false }
  | {
      retry: true;
      /** A few words for logs and for the error when the retries run out. */
      reason: string;
      /** The server's Retry-After in ms; null or absent: the backoff decides. */
      retryAfterMs?: number | null;
    };

/** Classifies a failure; `now` (the retrier's clock) is for Retry-After given as a date. */
export type Classify = (error: unknown, now: number) => Verdict;

export interface RetryClock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1), as Math.random. */
  random(): number;
}

export interface RetryInfo {
  error: unknown;
  reason: string;
  /** Failures in a row so far, this one included (1 after the first). */
  attempt: number;
  /** The wait about to start. */
  delayMs: number;
  /** What the server asked for, before the cap; null when it asked nothing. */
  retryAfterMs: number | null;
}

export interface RetryOptions {
  policy: RetryPolicy;
  classify: Classify;
  /** Aborting ends a wait at once (rejecting with the signal's reason); failures after it are not retried. */
  signal?: AbortSignal;
  /** Called before each wait. */
  onRetry?: (info: RetryInfo) => void;
  clock?: Partial<RetryClock>;
}

/** The retries ran out; `reason` is the last failure's, `cause` the last error itself. */
export class RetriesExhausted extends Error {
  readonly reason: string;
  readonly attempts: number;
  constructor(reason: string, attempts: number, lastError: unknown) {
    super(`${reason} after ${attempts} attempt${attempts === 1 ? '' : 's'}`, { cause: lastError });
    this.name = 'RetriesExhausted';
    this.reason = reason;
    this.attempts = attempts;
  }
}

/**
 * The wait after failure number `failure` (0 for the first): anywhere from 0 to
 * min(maxMs, baseMs * 2^failure), evenly.
 */
export function backoffDelay(failure: number, backoff: Backoff, random: () => number = Math.random): number {
  // The exponent is bounded so that a loop with unbounded retries never reaches Infinity * 0.
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(Math.max(failure, 0), 40));
  return Math.round(random() * ceiling);
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A setTimeout that an abort ends at once, rejecting with the signal's reason. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const systemClock: RetryClock = { now: Date.now, sleep: abortableSleep, random: Math.random };

/** The failure count of one retry loop, and its waits. */
export class Retrier {
  private count = 0;
  private readonly clock: RetryClock;

  constructor(private readonly options: RetryOptions) {
    this.clock = { ...systemClock, ...options.clock };
  }

  /** Failures in a row since the start or the last `succeeded()`. */
  get failures(): number {
    return this.count;
  }

  /** An attempt worked: the next failure waits as the first one did, with the whole bound again. */
  succeeded(): void {
    this.count = 0;
  }

  /**
   * After a failure: resolves once it is time to try again. Throws `error` itself when it is not
   * worth retrying or the signal has aborted, RetriesExhausted when the failures ran out, and the
   * signal's reason when it aborts during the wait.
   */
  async failed(error: unknown): Promise<void> {
    const { policy, signal } = this.options;
    if (signal?.aborted) throw error;
    const verdict = this.options.classify(error, this.clock.now());
    if (!verdict.retry) throw error;
    this.count++;
    if (this.count > policy.retries) throw new RetriesExhausted(verdict.reason, this.count, error);
    const retryAfterMs = verdict.retryAfterMs ?? null;
    const delayMs =
      retryAfterMs !== null
        ? Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs ?? policy.maxMs)
        : backoffDelay(this.count - 1, policy, this.clock.random);
    this.options.onRetry?.({ error, reason: verdict.reason, attempt: this.count, delayMs, retryAfterMs });
    await this.clock.sleep(delayMs, signal);
  }
}

/**
 * Runs `attempt` (given its 0-based number) until it succeeds; see `Retrier.failed` for how it
 * ends otherwise.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retrier = new Retrier(options);
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      await retrier.failed(error);
    }
  }
}

/** A classification for callers whose every failure is worth retrying. */
export const alwaysRetry =
  (reason: (error: unknown) => string = String): Classify =>
  (error) => ({ retry: true, reason: reason(error) });
