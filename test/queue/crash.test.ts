import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { jobData } from './fake-engine.js';
import { DiagnosisProducer } from '../../src/queue/producer.js';
import { createProducerConnection, waitReady } from '../../src/queue/redis.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { OwnRedis } from './own-redis.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'fixtures', 'worker-child.ts');
const ROOT = join(here, '..', '..');
const PREFIX = 'rd-crash';
const COUNTERS = `${PREFIX}:test:counters`;

let redisServer: OwnRedis;
let slack: SlackApiStandin;
let redis: Redis;
let producerRedis: Redis;
let producer: DiagnosisProducer;
const children: ChildProcess[] = [];

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function startWorker(env: Record<string, string> = {}): Child {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_API_URL: slack.url,
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: PREFIX,
      PORT: '0',
      WORKER_CONCURRENCY: '1',
      LOCK_DURATION_MS: '2000',
      STALLED_INTERVAL_MS: '1000',
      SHUTDOWN_GRACE_MS: '10000',
      PROGRESS_THROTTLE_MS: '0',
      SLACK_RETRIES: '0',
      TEST_COUNTERS: COUNTERS,
      TEST_STEP_MS: '600',
      KUBECONFIG: '/nonexistent/kubeconfig',
      REMEDIATION_ENABLED: 'true',
      APPROVERS: 'U0CAROL',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, exited, output: () => output };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false | undefined>,
  timeoutMs = 30000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const counter = async (name: string) => Number((await redis.hget(COUNTERS, name)) ?? '0');
const state = (jobId: string) => producer.queue.getJobState(jobId);

async function enqueue(clusterId: string): Promise<string> {
  const outcome = await producer.enqueue(jobData(clusterId));
  expect(outcome.outcome).toBe('queued');
  return outcome.jobId;
}

beforeAll(async () => {
  redisServer = await new OwnRedis().start();
  slack = await new SlackApiStandin().start();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  producerRedis = createProducerConnection(redisServer.url);
  producerRedis.on('error', () => undefined);
  await waitReady(producerRedis, 5000);
  producer = new DiagnosisProducer(producerRedis, {
    prefix: PREFIX,
    attempts: 3,
    retentionSeconds: 600,
    backoffMs: 100,
  });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
});

afterAll(async () => {
  await producer.close();
  producerRedis.disconnect();
  redis.disconnect();
  await slack.close();
  await redisServer.destroy();
});

describe('worker crash and restart, for real', () => {
  it('a worker killed mid-job (SIGKILL): the job is picked up by another worker and finished once', async () => {
    const a = startWorker();
    const jobId = await enqueue('c-killed');
    await until('the first worker to start the job', async () => (await counter('started:c-killed')) === 1);
    a.process.kill('SIGKILL');
    await a.exited;

    startWorker();
    await until('the job to complete', async () => (await state(jobId)) === 'completed', 40000);
    expect(await counter('started:c-killed')).toBe(2);
    expect(await counter('finished:c-killed')).toBe(1);
    const reports = slack
      .callsOf('chat.update')
      .filter((c) => blocksText(c.args.blocks).includes('Approve patch'));
    expect(reports).toHaveLength(1);
    // Both workers wrote to the same channel message.
    expect(slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
  }, 60000);

  it('Redis restarted mid-job: nothing is lost, each job finished once', async () => {
    startWorker({ LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '2500' });
    const running = await enqueue('c-running');
    const waiting = await enqueue('c-waiting');
    await until('the first job to start', async () => (await counter('started:c-running')) === 1);
    await redisServer.restart();
    await until(
      'both jobs to complete',
      async () => (await state(running)) === 'completed' && (await state(waiting)) === 'completed',
      40000,
    );
    expect(await counter('finished:c-running')).toBe(1);
    expect(await counter('finished:c-waiting')).toBe(1);
  }, 60000);

  it('SIGTERM mid-job: the worker finishes the job within the grace period and exits 0', async () => {
    const a = startWorker();
    const jobId = await enqueue('c-graceful');
    await until('the job to start', async () => (await counter('started:c-graceful')) === 1);
    a.process.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await state(jobId)).toBe('completed');
    expect(await counter('finished:c-graceful')).toBe(1);
  }, 60000);

  it('SIGTERM with a job longer than the grace period: the job is handed back, the worker exits 0, another finishes it', async () => {
    const a = startWorker({ SHUTDOWN_GRACE_MS: '300', TEST_STEP_MS: '1500' });
    const jobId = await enqueue('c-handback');
    await until('the job to start', async () => (await counter('started:c-handback')) === 1);
    a.process.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('handed back');
    expect(['waiting', 'prioritized']).toContain(await state(jobId));
    expect(await counter('finished:c-handback')).toBe(0);

    startWorker({ TEST_STEP_MS: '50' });
    await until('the job to complete', async () => (await state(jobId)) === 'completed', 40000);
    expect(await counter('finished:c-handback')).toBe(1);
  }, 60000);
});
