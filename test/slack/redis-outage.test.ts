import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import { OwnRedis } from '../queue/own-redis.js';
import { freePort } from '../support/free-port.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { NO_ENGINE } from '../support/bot-env.js';

// A Redis of this test's own, on its own port: stopping it never touches the shared one.
const SECRET = 'outage-signing-secret';
const PREFIX = 't-outage';

let own: OwnRedis;
let slack: SlackApiStandin;
let bot: RunningRoles;
let url: string;

async function command(text: string): Promise<{ ms: number; text: string }> {
  const body = slashCommandBody({ text, channelId: 'C0OPS' });
  const started = performance.now();
  const res = await postToBot(url, body, signedHeaders(SECRET, body));
  const ms = performance.now() - started;
  expect(res.status).toBe(200);
  return { ms, text: (res.json as { text: string }).text };
}

async function jobIds(): Promise<string[]> {
  const redis = new Redis(own.url, { maxRetriesPerRequest: null });
  const queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: PREFIX });
  try {
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
    return jobs.filter(Boolean).map((j) => j.id!);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

beforeAll(async () => {
  own = await new OwnRedis().start();
  slack = await new SlackApiStandin().start();
  bot = await startRoles(
    'bot',
    {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      PORT: '0',
      REDIS_URL: own.url,
      QUEUE_PREFIX: PREFIX,
    },
    NO_ENGINE,
  );
  url = `http://127.0.0.1:${bot.port}/slack/events`;
  const health = `http://127.0.0.1:${bot.port}/healthz`;
  while ((await fetch(health)).status !== 200) await new Promise((r) => setTimeout(r, 50));
}, 30000);

afterAll(async () => {
  await bot.shutdown();
  await slack.close();
  await own.destroy();
});

describe('Redis goes down while the bot runs', () => {
  it('acks at once that the queue is unreachable, queues nothing, and works again once Redis is back', async () => {
    const before = await command('diagnose c-before');
    expect(before.text).toMatch(/queued as (d[a-z0-9]+)/);
    const firstJob = /queued as (d[a-z0-9]+)/.exec(before.text)![1]!;
    await slack.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const posts = slack.callsOf('chat.postMessage').length;

    await own.stop();
    const down = await command('diagnose c-during');
    expect(down.text).toBe('The job queue is unreachable; nothing was queued');
    // Well within Slack's 3 seconds: no waiting for a reconnect.
    expect(down.ms).toBeLessThan(1000);
    const status = await command('status');
    expect(status.text).toBe('The job queue is unreachable; nothing was queued');
    expect(status.ms).toBeLessThan(1000);
    const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
    expect(health.status).toBe(503);

    // A click while Redis is down: acked, and the clicker is told through the click's response_url.
    for (const actionId of ['approve_drain', 'show_registration']) {
      const click = buttonClickBody({
        actionId,
        value: 'somePlanId',
        userId: 'U0ALICE',
        responseUrl: slack.responseUrl(`outage-${actionId}`),
      });
      const clicked = await postToBot(url, click, signedHeaders(SECRET, click));
      expect(clicked.status).toBe(200);
      const path = `/response/outage-${actionId}`;
      await slack.waitFor(
        (calls) => calls.some((c) => c.args.path === path),
        5000,
        `the answer to ${actionId}`,
      );
      const answer = slack.callsOf('response_url').find((c) => c.args.path === path)!;
      expect(answer.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(answer.args.text).toBe('Your click could not be recorded; try again');
      expect(blocksText(answer.args.blocks)).toContain('nothing was decided. Try again');
    }

    await own.start();
    // The bot reconnects by itself (retry every 2 s at most); until then it keeps saying so.
    const deadline = Date.now() + 15000;
    let after = await command('diagnose c-after');
    while (!/queued as/.test(after.text) && Date.now() < deadline) {
      expect(after.text).toBe('The job queue is unreachable; nothing was queued');
      await new Promise((r) => setTimeout(r, 200));
      after = await command('diagnose c-after');
    }
    expect(after.text).toMatch(/queued as d[a-z0-9]+/);
    const secondJob = /queued as (d[a-z0-9]+)/.exec(after.text)![1]!;

    // AOF kept the first job; the one refused during the outage was never queued, nor posted.
    expect((await jobIds()).sort()).toEqual([firstJob, secondJob].sort());
    await slack.waitFor((calls) => calls.filter((c) => c.method === 'chat.postMessage').length > posts);
    const texts = slack.callsOf('chat.postMessage').map((c) => String(c.args.text));
    expect(texts.some((t) => t.includes('c-during'))).toBe(false);
    expect(texts.some((t) => t.includes('c-after'))).toBe(true);
  }, 40000);

  it('a Redis that stops answering (paused) gets an ack within the 1 s budget, saying the outcome is unknown', async () => {
    const pid = own.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // No cluster named: the enqueue is the only Redis call, and it goes out and hangs.
      const hung = await command('diagnose');
      expect(hung.ms).toBeLessThan(2000);
      expect(hung.text).toBe('The job queue did not answer in time; the diagnosis may or may not be queued');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 20000);
});

describe('a bot started while its Redis is still coming up', () => {
  it('lets Slack in once Redis answers, so its first command is queued, not refused', async () => {
    const late = new OwnRedis();
    late.port = await freePort();
    const starting = startRoles(
      'bot',
      {
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        PORT: '0',
        REDIS_URL: late.url,
        QUEUE_PREFIX: `${PREFIX}-late`,
      },
      NO_ENGINE,
    );
    await new Promise((r) => setTimeout(r, 700));
    await late.start();
    const early = await starting;
    try {
      const body = slashCommandBody({ text: 'diagnose c-first', channelId: 'C0OPS' });
      const res = await postToBot(
        `http://127.0.0.1:${early.port}/slack/events`,
        body,
        signedHeaders(SECRET, body),
      );
      expect((res.json as { text: string }).text).toMatch(/queued as d[a-z0-9]+/);
    } finally {
      await early.shutdown();
      await late.destroy();
    }
  }, 30000);
});
