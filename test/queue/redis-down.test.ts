import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { shutdownMarginMs } from '../../src/app/roles.js';
import { watchRedisOutage } from '../../src/queue/redis.js';
import { SlackApiStandin } from '../support/slack-api.js';
import { OwnRedis } from './own-redis.js';

// Each test runs a Redis of its own and stops it: the shared one is never touched.
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'fixtures', 'worker-child.ts');
const ROOT = join(here, '..', '..');
const PREFIX = 'rd-down';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  lines: () => Record<string, unknown>[];
}

/** A `rancher-doctor worker` in a process group of its own, stopped with its group at the end. */
function startWorker(redisUrl: string, slackUrl: string, env: Record<string, string> = {}): Child {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_API_URL: slackUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: PREFIX,
      PORT: '0',
      WORKER_CONCURRENCY: '1',
      SLACK_RETRIES: '0',
      TEST_COUNTERS: `${PREFIX}:test:counters`,
      KUBECONFIG: '/nonexistent/kubeconfig',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  });
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { process: child, exited, lines };
}

async function until(what: string, probe: () => boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ground(): Promise<{ redis: OwnRedis; slack: SlackApiStandin }> {
  const redis = await new OwnRedis().start();
  const slack = await new SlackApiStandin().start();
  cleanups.push(
    () => redis.destroy(),
    () => slack.close(),
  );
  return { redis, slack };
}

describe('a worker whose Redis is unreachable', () => {
  it('SIGTERM once: the worker exits by its shutdown deadline, saying what it could not close', async () => {
    const { redis, slack } = await ground();
    const graceMs = 300;
    const worker = startWorker(redis.url, slack.url, { SHUTDOWN_GRACE_MS: String(graceMs) });
    await until('the worker to start', () => worker.lines().some((l) => l.msg === 'rancher-doctor started'));
    await redis.stop();

    const signalledAt = Date.now();
    worker.process.kill('SIGTERM');
    // Far more than the shutdown deadline: the bound on tookMs below decides.
    const code = await Promise.race([
      worker.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20000)),
    ]);
    const tookMs = Date.now() - signalledAt;
    expect(code).toBe(1);
    // The deadline, plus the second a stopped process is given to drop stray handles, plus slack
    // for a loaded machine.
    expect(tookMs).toBeLessThan(graceMs + shutdownMarginMs(graceMs) + 1000 + 3000);
    const deadline = worker.lines().find((l) => l.msg === 'shutdown deadline passed');
    expect(deadline).toMatchObject({ unfinished: ['worker'] });
  }, 40000);

  it('logs the outage once and its end once, with the errors in between counted, not each error', async () => {
    const { redis, slack } = await ground();
    const worker = startWorker(redis.url, slack.url);
    await until('the worker to start', () => worker.lines().some((l) => l.msg === 'rancher-doctor started'));
    await redis.stop();
    // A few seconds of reconnect attempts, each failing twice (the worker's two connections).
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    await until('the worker to see Redis back', () =>
      worker.lines().some((l) => l.msg === 'Redis reachable again'),
    );

    const lines = worker.lines();
    expect(lines.filter((l) => l.msg === 'worker error')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'Redis unreachable')).toHaveLength(1);
    const back = lines.filter((l) => l.msg === 'Redis reachable again');
    expect(back).toHaveLength(1);
    expect(back[0]!.errorsSuppressed).toBeGreaterThan(3);
  }, 40000);
});

describe('watchRedisOutage', () => {
  it("the bot's connection (no offline queue) also says it once each way", async () => {
    const { redis: own } = await ground();
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          done();
        },
      }),
    );
    const redis = new Redis(own.url, {
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    cleanups.push(async () => redis.disconnect());
    watchRedisOutage(redis, log);
    await until('ready', () => redis.status === 'ready');
    let failures = 0;
    redis.on('error', () => failures++);
    await own.stop();
    await until('a few failed reconnects', () => failures > 4);
    await own.start();
    await until('Redis back', () => lines.some((l) => l.msg === 'Redis reachable again'));
    expect(lines.map((l) => l.msg)).toEqual(['Redis unreachable', 'Redis reachable again']);
    expect(lines[1]!.errorsSuppressed).toBeGreaterThan(3);
  }, 30000);

  it("a failure seen by another of the worker's connections counts, and ends when this one stays up", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          done();
        },
      }),
    );
    const redis = new Redis('redis://127.0.0.1:6379');
    cleanups.push(async () => redis.disconnect());
    const outage = watchRedisOutage(redis, log, Date.now, 50);
    await until('ready', () => redis.status === 'ready');
    expect(outage.absorb(new Error('a job script failed'))).toBe(false);
    expect(outage.absorb(new Error('read ECONNRESET'))).toBe(true);
    expect(outage.absorb(new Error('read ECONNRESET'))).toBe(true);
    await until('over', () => lines.some((l) => l.msg === 'Redis reachable again'));
    expect(lines.map((l) => l.msg)).toEqual(['Redis unreachable', 'Redis reachable again']);
    expect(lines[1]!.errorsSuppressed).toBe(1);
  });
});
