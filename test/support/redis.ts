import type { Redis } from 'ioredis';
export { redisAnswers, waitForRedis, ensureDefaultRedis } from './global-setup.js';

/** Deletes the keys matching `pattern` (a test's prefix): what a test left in the shared Redis. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  const keys = await redis.keys(pattern);
  if (keys.length) await redis.del(...keys);
}
