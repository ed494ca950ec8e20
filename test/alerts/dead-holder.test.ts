import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { IncidentService, type FireInput } from '../../src/alerts/incidents.js';
import { RedisIncidentStore } from '../../src/queue/incident-store.js';
import { SlackAlertPublisher } from '../../src/slack/alert-publisher.js';
import { SlackPoster, createWebClient, type MessageMetadata } from '../../src/slack/poster.js';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { ALERT_CHANNEL, roots, tsOf, updatesOf } from './support.js';
import { deleteKeys } from '../support/redis.js';

/** Short, so that a dead holder's lock lapses soon; live holders renew it. */
const LOCK_MS = 400;
const FIRE: FireInput = {
  fingerprint: 'node:c-dql6k/machine-h46dc',
  clusterId: 'c-dql6k',
  objectKey: 'c-dql6k/machine-h46dc',
  source: 'watch',
  summary: 'node object machine-h46dc of cluster c-dql6k is rewritten in a loop',
  startsAt: new Date(Date.now() - 60_000).toISOString(),
};

let slack: SlackApiStandin;
let prefix: string;
let counter = 0;
const connections: Redis[] = [];

beforeEach(async () => {
  slack = await new SlackApiStandin().start();
  prefix = `t-dead-holder-${process.pid}-${++counter}`;
});

afterEach(async () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  for (const c of connections.splice(0)) c.disconnect();
  await slack.close();
});

function connect(): Redis {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  connections.push(redis);
  return redis;
}

/** A process dying at a step: its Redis connection goes, and nothing after the step runs. */
function dies(redis: Redis): () => Promise<never> {
  return async () => {
    redis.disconnect();
    return new Promise<never>(() => undefined);
  };
}

/** Writes to Slack as the product does; `afterPost` runs once Slack has taken a root message. */
class TestPoster extends SlackPoster {
  constructor(private readonly afterPost?: () => Promise<never>) {
    super(
      createWebClient({ token: 'xoxb-test', slackApiUrl: slack.url, retries: 0 }),
      pino({ level: 'silent' }),
    );
  }

  override async postWithLink(channel: string, msg: SlackMessage, metadata?: MessageMetadata) {
    const ref = await super.postWithLink(channel, msg, metadata);
    return this.afterPost ? this.afterPost() : ref;
  }
}

/** One process's incident service, on its own Redis connection. */
function processWith(redis: Redis, poster: SlackPoster, beforeAsking?: () => Promise<never>) {
  const asked: (string | null)[] = [];
  const store = new RedisIncidentStore(redis, { prefix, retentionSeconds: 600, lockMs: LOCK_MS });
  const service = new IncidentService({
    store,
    publisher: new SlackAlertPublisher({ poster, channel: ALERT_CHANNEL, pace: async () => 0 }),
    diagnoses: {
      async request(clusterId) {
        if (beforeAsking) return beforeAsking();
        asked.push(clusterId);
        return { jobId: `job-${asked.length}`, queued: true };
      },
    },
    clock: { now: Date.now, later: (ms, fn) => setTimeout(fn, ms).unref() },
    summaryAt: 5,
    gatherMs: 10,
  });
  return { store, service, asked };
}

async function until(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('incidents: a process that dies holding an incident', () => {
  it('killed after Slack took the root message, before storing its ts: the next flush finds that message, posts no second root, and resolves it', async () => {
    const dying = connect();
    // The leader dies the moment Slack has its post: its Redis connection goes, and nothing after it runs.
    const leader = processWith(dying, new TestPoster(dies(dying)));
    await leader.service.observe(FIRE, 900);
    void leader.service.flush();
    await slack.waitFor((calls) => roots(calls).length === 1, 15000, 'the root message');
    const ts = tsOf(roots(slack.calls)[0]!);

    const next = processWith(connect(), new TestPoster());
    await next.service.flush();
    const incident = await next.store.get(FIRE.fingerprint);
    expect(incident?.message?.ts).toBe(ts);
    expect(slack.callsOf('conversations.history')).toHaveLength(1);
    // The dead leader never asked for a diagnosis: the next flush does.
    expect(next.asked).toEqual(['c-dql6k']);
    expect(incident?.state).toBe('diagnosing');

    await next.service.resolve(FIRE.fingerprint, new Date().toISOString());
    const resolved = updatesOf(slack.calls, ts).map((c) => blocksText(c.args.blocks));
    expect(resolved.at(-1)).toMatch(/Resolved:\* loop on .*It lasted \S.*, peak 900 writes/s);
    expect(roots(slack.calls)).toHaveLength(1);
  }, 30000);

  it('killed after showing the incident, before asking for its diagnosis: the next flush asks', async () => {
    const dying = connect();
    const leader = processWith(dying, new TestPoster(), dies(dying));
    await leader.service.observe(FIRE, 900);
    void leader.service.flush();
    await slack.waitFor((calls) => roots(calls).length === 1, 15000, 'the root message');
    const ts = tsOf(roots(slack.calls)[0]!);

    const next = processWith(connect(), new TestPoster());
    await until(
      async () => (await next.store.get(FIRE.fingerprint))?.message?.ts === ts,
      'the stored message',
    );
    await next.service.flush();
    expect(next.asked).toEqual(['c-dql6k']);
    expect((await next.store.get(FIRE.fingerprint))?.state).toBe('diagnosing');
    expect(blocksText(updatesOf(slack.calls, ts).at(-1)!.args.blocks)).toMatch(/diagnos/i);
    // Shown by the dead leader, with its ts stored: nothing looked up, nothing posted again.
    expect(slack.callsOf('conversations.history')).toHaveLength(0);
    expect(roots(slack.calls)).toHaveLength(1);
  }, 30000);

  it('a first post looks nothing up; killed before Slack took it, the next flush posts it once', async () => {
    const live = processWith(connect(), new TestPoster());
    await live.service.observe(FIRE, 900);
    await live.service.flush();
    expect(roots(slack.calls)).toHaveLength(1);
    expect(slack.callsOf('conversations.history')).toHaveLength(0);

    // Another object: its post is lost on the way (Slack never took it) and its poster dies.
    const other = {
      ...FIRE,
      fingerprint: 'node:c-dql6k/machine-other1',
      objectKey: 'c-dql6k/machine-other1',
    };
    const dying = connect();
    const leader = processWith(dying, new TestPoster(dies(dying)));
    slack.script('chat.postMessage', { status: 'error', error: 'fatal_error' });
    await leader.service.observe(other, 900);
    void leader.service.flush();
    await until(() => slack.callsOf('chat.postMessage').length === 2, 'the lost post');

    await live.service.flush();
    expect(slack.callsOf('conversations.history')).toHaveLength(1);
    const posted = roots(slack.calls).filter((c) => blocksText(c.args.blocks).includes('machine-other1'));
    expect(posted).toHaveLength(1);
    expect((await live.store.get(other.fingerprint))?.message?.ts).toBe(tsOf(posted[0]!));
  }, 30000);
});

describe('incident store locks', () => {
  it('a live holder keeps its lock however long it holds it; a dead holder loses it after lockMs', async () => {
    const a = new RedisIncidentStore(connect(), { prefix, retentionSeconds: 60, lockMs: LOCK_MS });
    const b = new RedisIncidentStore(connect(), { prefix, retentionSeconds: 60, lockMs: LOCK_MS });
    const order: string[] = [];
    let release!: () => void;
    const held = a.withLock('x', async () => {
      order.push('a in');
      // Held for several lock lifetimes: B must wait for the release, not the lapse.
      await new Promise<void>((r) => (release = r));
      order.push('a out');
    });
    await until(() => order.includes('a in'), 'A holding the lock');
    const waiting = b.withLock('x', async () => void order.push('b in'));
    const redis = connect();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, LOCK_MS));
      expect(await redis.exists(`${prefix}:doctor:alerts:lock:x`)).toBe(1);
    }
    expect(order).toEqual(['a in']);
    release();
    await Promise.all([held, waiting]);
    expect(order).toEqual(['a in', 'a out', 'b in']);

    const dying = connect();
    const dead = new RedisIncidentStore(dying, { prefix, retentionSeconds: 60, lockMs: LOCK_MS });
    void dead.withLock('x', async () => {
      order.push('dead in');
      return dies(dying)();
    });
    await until(() => order.includes('dead in'), 'the dying holder');
    await b.withLock('x', async () => void order.push('b again'));
    expect(order.slice(-2)).toEqual(['dead in', 'b again']);
  }, 30000);
});
