import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ClusterCacheReader, writeClusterCache } from '../../src/queue/cluster-cache.js';
import type { JobMessageRef } from '../../src/queue/message-store.js';
import { AfterAckWork } from '../../src/slack/after-ack.js';
import { answerCommand, type CommandDeps } from '../../src/slack/commands.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-ackpath-${process.pid}`;
const log = pino({ level: 'silent' });
let redis: Redis;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379');
});

afterAll(async () => {
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
});

describe('work after the ack', () => {
  // Timers are jest's: the delays below pass at once and exactly.
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('waits while a request is unanswered, then runs', async () => {
    const work = new AfterAckWork(log, 5000);
    const answered = work.requestStarted();
    let ran = false;
    work.schedule('test task', async () => {
      ran = true;
    });
    await jest.advanceTimersByTimeAsync(4999);
    expect(ran).toBe(false);
    answered();
    await jest.advanceTimersByTimeAsync(0);
    expect(ran).toBe(true);
  });

  it('runs after maxDelayMs even if requests never stop coming', async () => {
    const work = new AfterAckWork(log, 100);
    work.requestStarted();
    let ran = false;
    work.schedule('test task', async () => {
      ran = true;
    });
    await jest.advanceTimersByTimeAsync(99);
    expect(ran).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(ran).toBe(true);
  });

  it('stop() runs what still waits, and a failing task is logged, not thrown', async () => {
    const work = new AfterAckWork(log, 60_000);
    work.requestStarted();
    const ran: string[] = [];
    work.schedule('a', async () => {
      ran.push('a');
    });
    work.schedule('b', async () => {
      throw new Error('boom');
    });
    await work.stop(1000);
    expect(ran).toEqual(['a']);
  });
});

describe('the cluster list as the bot reads it', () => {
  it('a burst of commands reads Redis once; a cluster listed since is found on a re-read', async () => {
    await writeClusterCache(redis, PREFIX, [{ id: 'c-dql6k', name: 'prod-east', driver: null }]);
    let clock = 1_000_000;
    const reader = new ClusterCacheReader(redis, PREFIX, 5000, 250, () => clock);
    const get = jest.spyOn(redis, 'get');
    const found = await Promise.all(Array.from({ length: 20 }, () => reader.resolve('prod-east')));
    expect(found.every((f) => f.found?.id === 'c-dql6k')).toBe(true);
    expect(get).toHaveBeenCalledTimes(1);

    // Unknown in a copy just read: said at once, no second read.
    const unknown = await reader.resolve('c-new');
    expect(unknown.found).toBeNull();
    expect(get).toHaveBeenCalledTimes(1);

    await writeClusterCache(redis, PREFIX, [
      { id: 'c-dql6k', name: 'prod-east', driver: null },
      { id: 'c-new', name: 'new', driver: null },
    ]);
    clock += 1000;
    expect((await reader.resolve('c-new')).found?.name).toBe('new');
    expect(get).toHaveBeenCalledTimes(2);
    clock += 6000;
    await reader.resolve('c-dql6k');
    expect(get).toHaveBeenCalledTimes(3);
    get.mockRestore();
  });
});

describe('the queued message after the ack', () => {
  function deps(ensure: (post: () => Promise<JobMessageRef | null>) => Promise<JobMessageRef | null>) {
    const posts: string[] = [];
    const d = {
      producer: { enqueue: async () => ({ outcome: 'queued', jobId: 'dtest' }) },
      messages: { ensure: (_jobId: string, post: () => Promise<JobMessageRef | null>) => ensure(post) },
      poster: {
        postWithLink: async (channel: string) => {
          posts.push(channel);
          return { channel, ts: '1.2' };
        },
      },
      allowed: { channels: [], users: [] },
      log,
    } as unknown as CommandDeps;
    return { d, posts };
  }
  const cmd = { text: 'diagnose', userId: 'U0ALICE', channelId: 'C0OPS' };

  it('a Redis failure before posting is tried again, and the message is posted once', async () => {
    let calls = 0;
    const { d, posts } = deps(async (post) => {
      calls++;
      if (calls < 3) throw new Error('Command timed out');
      return post();
    });
    const reply = await answerCommand(cmd, d);
    await reply.after!();
    expect(calls).toBe(3);
    expect(posts).toEqual(['C0OPS']);
  });

  it('a failure after the post is not tried again (it could post twice)', async () => {
    let calls = 0;
    const { d, posts } = deps(async (post) => {
      calls++;
      await post();
      throw new Error('Command timed out');
    });
    const reply = await answerCommand(cmd, d);
    await expect(reply.after!()).rejects.toThrow('Command timed out');
    expect(calls).toBe(1);
    expect(posts).toEqual(['C0OPS']);
  });
});
