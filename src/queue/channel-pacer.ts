import type { Redis } from 'ioredis';

/** Hands out the next free slot of a channel, `gapMs` after the one before, atomically. */
const NEXT_SLOT = `
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local last = tonumber(redis.call('get', KEYS[1]) or '0')
local slot = math.max(now, last + gap)
redis.call('set', KEYS[1], slot, 'PX', gap * 10)
return slot`;

/**
 * Slack takes one message a second per channel. Every process that posts in a channel asks Redis
 * for its slot, so the bot and the workers together stay within it; each waits for its own.
 */
export class ChannelPacer {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly gapMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before posting in `channel`. */
  async wait(channel: string): Promise<number> {
    const now = this.now();
    const slot = Number(
      await this.redis.eval(
        NEXT_SLOT,
        1,
        `${this.prefix}:doctor:alerts:pace:${channel}`,
        String(now),
        String(this.gapMs),
      ),
    );
    return Math.max(0, slot - now);
  }
}
