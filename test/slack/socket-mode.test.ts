import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import { SlackApiStandin, blocksText, slashEnvelope } from '../support/slack-api.js';
import { NO_ENGINE, socketModeEnv } from '../support/bot-env.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-socket-${process.pid}`;

let slack: SlackApiStandin;
let bot: RunningRoles;
let redis: Redis;
let queue: Queue;

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: PREFIX });
  bot = await startRoles('bot', socketModeEnv(slack.url, PREFIX), NO_ENGINE);
}, 30000);

afterAll(async () => {
  await bot?.shutdown();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
  await slack.close();
});

describe('Socket Mode', () => {
  it('connects with the app token through SLACK_API_URL, acks a slash command envelope and queues the job', async () => {
    const open = slack.callsOf('apps.connections.open');
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((c) => c.authorization === 'Bearer xapp-1-test')).toBe(true);

    const delivery = await slack.deliver(slashEnvelope('env-1', 'diagnose c-dql6k --since 30m')).outcome;
    if (delivery.outcome !== 'acked') throw new Error(`envelope lost: ${delivery.reason}`);
    const payload = delivery.payload as { response_type: string; text: string; blocks: unknown };
    expect(payload.response_type).toBe('ephemeral');
    expect(payload.text).toMatch(/queued as d[a-z0-9]+/);
    expect(blocksText(payload.blocks)).toContain('<#C0OPS>');

    const jobId = /queued as (d[a-z0-9]+)/.exec(payload.text)![1]!;
    const job = await queue.getJob(jobId);
    expect(job?.data).toMatchObject({
      clusterId: 'c-dql6k',
      sinceSeconds: 1800,
      channelId: 'C0OPS',
      requestedBy: 'U0ALICE',
    });
    // The queued message goes out after the ack, with the bot token.
    await slack.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const post = slack.callsOf('chat.postMessage')[0]!;
    expect(post.authorization).toBe('Bearer xoxb-test');
    expect(blocksText(post.args.blocks)).toContain('is queued');
  });

  it('a second envelope for the same scope is acked pointing at the running job; nothing more is queued', async () => {
    const delivery = await slack.deliver(slashEnvelope('env-2', 'diagnose c-dql6k')).outcome;
    if (delivery.outcome !== 'acked') throw new Error(`envelope lost: ${delivery.reason}`);
    expect((delivery.payload as { text: string }).text).toMatch(/already/);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
