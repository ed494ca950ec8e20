import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from './redis.js';

/** Where a job's channel message lives: kept in Redis so any bot or worker can update it. */
export interface JobMessageRef {
  channel: string;
  ts: string;
  /** Slack's link to the message, when Slack gave one. */
  permalink?: string;
}

const refSchema = z.object({ channel: z.string(), ts: z.string(), permalink: z.string().optional() });

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
    return this.parse(await this.redis.get(this.k.message(jobId)));
  }

  /** Several jobs' messages in one round trip, null where a job has none. */
  async getMany(jobIds: string[]): Promise<(JobMessageRef | null)[]> {
    if (!jobIds.length) return [];
    const raw = await this.redis.mget(jobIds.map((id) => this.k.message(id)));
    return raw.map((r) => this.parse(r));
  }

  /**
   * Returns the job's message, posting it first if nobody has. A short lock keeps the bot (which
   * posts "queued" after its ack) and a worker that starts at once from posting one each. The
   * look-up and the lock go to Redis in one round trip.
   */
  async ensure(
    jobId: string,
    post: () => Promise<JobMessageRef | null>,
    waitMs = 5000,
  ): Promise<JobMessageRef | null> {
    const replies = await this.redis
      .pipeline()
      .get(this.k.message(jobId))
      .set(this.k.messageLock(jobId), '1', 'PX', waitMs, 'NX')
      .exec();
    const [got, lock] = replies ?? [];
    if (got?.[0] || lock?.[0]) throw got?.[0] ?? lock![0]!;
    const existing = this.parse(got?.[1]);
    if (existing) return existing;
    if (lock?.[1] !== 'OK') {
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

  /**
   * True once per job: whoever gets it posts the report's thread, so that a report shown again
   * (a retried job, a second worker) does not repeat its replies.
   */
  async claimThread(jobId: string): Promise<boolean> {
    return (await this.redis.set(this.k.thread(jobId), '1', 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  private parse(raw: unknown): JobMessageRef | null {
    if (typeof raw !== 'string' || !raw) return null;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
    const parsed = refSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  }
}
