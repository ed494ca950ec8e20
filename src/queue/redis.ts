import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { backoffDelay, type Backoff } from '../retry.js';

/**
 * Waits between ioredis's reconnects, which it counts itself (from 1, afresh once a connection is
 * ready). Jittered, so that bots and workers that lost Redis together do not come back to it
 * in step.
 */
const RECONNECT: Backoff = { baseMs: 200, maxMs: 2000 };
const reconnectDelay = (times: number) => backoffDelay(times - 1, RECONNECT);

/**
 * The bot's connection: commands fail at once while Redis is unreachable (no offline queue, one
 * retry), so a slash command is answered "queue unreachable" instead of waiting on a reconnect.
 * ioredis keeps reconnecting in the background.
 */
export function createProducerConnection(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 2000,
    retryStrategy: reconnectDelay,
  });
}

/** Workers block on Redis by design: BullMQ requires maxRetriesPerRequest null for them. */
export function createWorkerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
  });
}

export interface RedisOutage {
  /**
   * Counts an error that came with Redis unreachable (saying so the first time) and returns true;
   * returns false, counting nothing, when Redis is up: the error is then the caller's to log.
   */
  absorb(err: unknown): boolean;
}

/**
 * Logs that Redis is unreachable once, and once that it is back with how many errors came in
 * between. Each failed reconnect is an error event on every connection (several a second at
 * first), which would otherwise bury every other line for as long as the outage lasts.
 */
/** Errors that say the connection itself failed, whichever of a worker's connections saw it first. */
const CONNECTION_FAILURE =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed/;

export function watchRedisOutage(
  redis: Redis,
  log: Logger,
  now: () => number = Date.now,
  recheckMs = 2000,
): RedisOutage {
  let down: { since: number; errors: number } | null = null;
  let recheck: NodeJS.Timeout | null = null;
  const recovered = () => {
    if (!down) return;
    log.info({ errorsSuppressed: down.errors, downForMs: now() - down.since }, 'Redis reachable again');
    down = null;
  };
  const markDown = (err: unknown) => {
    if (down) {
      down.errors++;
      return;
    }
    down = { since: now(), errors: 0 };
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'Redis unreachable');
  };
  redis.on('error', markDown);
  redis.on('ready', recovered);
  return {
    absorb(err) {
      const connectionFailed = CONNECTION_FAILURE.test(err instanceof Error ? err.message : String(err));
      if (!down && isReady(redis) && !connectionFailed) return false;
      markDown(err);
      // A worker's blocking connection can fail before this one notices, or alone: if this one
      // stays ready, the outage is over without a 'ready' event to say so.
      if (isReady(redis) && !recheck) {
        recheck = setTimeout(() => {
          recheck = null;
          if (isReady(redis)) recovered();
        }, recheckMs);
        recheck.unref();
      }
      return true;
    },
  };
}

export function isReady(redis: Redis): boolean {
  return redis.status === 'ready';
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (isReady(redis)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** Key names of the bot's own records, next to BullMQ's under the same prefix. */
export function keys(prefix: string) {
  return {
    message: (jobId: string) => `${prefix}:doctor:message:${jobId}`,
    messageLock: (jobId: string) => `${prefix}:doctor:message-lock:${jobId}`,
    thread: (jobId: string) => `${prefix}:doctor:thread:${jobId}`,
    plan: (planId: string) => `${prefix}:doctor:plan:${planId}`,
    clusters: `${prefix}:doctor:clusters`,
    object: (key: string) => `${prefix}:doctor:object:${key}`,
    objectMessages: (key: string) => `${prefix}:doctor:object-messages:${key}`,
    report: (jobId: string) => `${prefix}:doctor:report:${jobId}`,
    journal: (decisionId: string) => `${prefix}:doctor:journal:${decisionId}`,
    audit: `${prefix}:doctor:audit`,
  };
}
