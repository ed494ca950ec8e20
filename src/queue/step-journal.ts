import type { Redis } from 'ioredis';
import type { StepJournal } from '../remediation/approval/executor.js';
import { keys } from './redis.js';

/**
 * A decision's steps in a Redis hash: what a killed worker had done is there for the next attempt.
 * Values are what the executor records (resource versions, outcomes), never a secret.
 */
export function redisStepJournal(
  redis: Redis,
  prefix: string,
  decisionId: string,
  ttlSeconds: number,
): StepJournal {
  const key = keys(prefix).journal(decisionId);
  return {
    async get(step) {
      const raw = await redis.hget(key, step);
      return raw === null ? null : (JSON.parse(raw) as unknown);
    },
    async record(step, value) {
      await redis
        .multi()
        .hset(key, step, JSON.stringify(value ?? null))
        .expire(key, ttlSeconds)
        .exec();
    },
  };
}
