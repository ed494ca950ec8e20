import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from './redis.js';

/** Where a job's channel message lives: kept in Redis so any bot or worker can update it. */
export interface JobMessageRef {
  channel: string;
  ts: string;
}

const refSchema = z.object({ channel: z.string(), ts: z.string() });

export class JobMessageStore {
  private readonly k;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.k = keys(prefix);
  }

  async get(jobId: string): Promise<JobMessageRef | null> {
    const raw = await this.redis.get(this.k.message(jobId));
    if (!raw) return null;
    const parsed = refSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /**
   * Returns the job's message, posting it first if nobody has. A short lock keeps the bot (which
   * posts "queued" after its ack) and a worker that starts at once from posting one each.
   */
  async ensure(
    jobId: string,
    post: () => Promise<JobMessageRef | null>,
    waitMs = 5000,
  ): Promise<JobMessageRef | null> {
    const existing = await this.get(jobId);
    if (existing) return existing;
    const locked = await this.redis.set(this.k.messageLock(jobId), '1', 'PX', waitMs, 'NX');
    if (locked !== 'OK') {
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const posted = await this.get(jobId);
        if (posted) return posted;
      }
      // The other poster gave up or died: post ourselves rather than stay silent.
    }
    const ref = await post();
    if (ref) await this.redis.set(this.k.message(jobId), JSON.stringify(ref), 'EX', this.ttlSeconds);
    return ref;
  }
}
