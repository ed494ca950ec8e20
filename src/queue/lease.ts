import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * A leader lease in Redis: one key, held by one process id at a time, lapsing unless renewed.
 * Whoever holds it runs the detector; the others try to take it now and then.
 */
export class RedisLease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly holder: string,
  ) {}

  /** Takes the lease if nobody holds it, or renews it if we do. True while we hold it. */
  async hold(ttlMs: number): Promise<boolean> {
    if ((await this.redis.eval(RENEW, 1, this.key, this.holder, String(ttlMs))) === 1) return true;
    return (await this.redis.set(this.key, this.holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Lets it go at once (a clean shutdown), so another process need not wait for it to lapse. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holder);
  }

  /** Who holds it now, or null. */
  async holderNow(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
