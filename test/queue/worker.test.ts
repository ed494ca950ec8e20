import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { DiagnosisReport } from '../../src/diagnosis/types.js';
import { AccessError, TransientError } from '../../src/errors.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import { JobMessageStore } from '../../src/queue/message-store.js';
import { PlanStore } from '../../src/queue/plan-store.js';
import { DiagnosisProducer } from '../../src/queue/producer.js';
import { createProducerConnection, createWorkerConnection, waitReady } from '../../src/queue/redis.js';
import { startDiagnosisWorker, type DiagnoseFn, type DiagnosisWorker } from '../../src/queue/worker.js';
import { SlackJobReporter } from '../../src/slack/job-reporter.js';
import { SlackPoster, createWebClient } from '../../src/slack/poster.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { fakeEngine, jobData } from './fake-engine.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-worker-${process.pid}`;
const COUNTERS = `${PREFIX}:test:counters`;
const log = pino({ level: 'silent' });

let slack: SlackApiStandin;
let redis: Redis;
let producerRedis: Redis;
let producer: DiagnosisProducer;
let events: QueueEvents;
let worker: DiagnosisWorker | null = null;
let workerRedis: Redis | null = null;

/** A pino logger whose JSON lines the test can read. */
function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function start(diagnose: DiagnoseFn, throttleMs = 0, logger: Logger = log): DiagnosisWorker {
  const poster = new SlackPoster(
    createWebClient({ token: 'xoxb-test', slackApiUrl: slack.url, retries: 2 }),
    logger,
  );
  workerRedis = createWorkerConnection('redis://127.0.0.1:6379');
  worker = startDiagnosisWorker({
    connection: workerRedis,
    prefix: PREFIX,
    reporter: new SlackJobReporter({
      poster,
      messages: new JobMessageStore(workerRedis, PREFIX, 600),
      progressThrottleMs: throttleMs,
    }),
    diagnose,
    log: logger,
    concurrency: 2,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    planTtlSeconds: 60,
  });
  return worker;
}

/** The messages of a job as Slack saw them: the first post, then every update of its ts. */
function messageHistory(channel = 'C0OPS'): string[] {
  const post = slack.callsOf('chat.postMessage').find((c) => c.args.channel === channel && !c.args.thread_ts);
  if (!post) return [];
  const ts =
    '1700000000.' +
    String(slack.calls.filter((c) => c.method === 'chat.postMessage').indexOf(post) + 1).padStart(6, '0');
  return [post, ...slack.callsOf('chat.update').filter((c) => c.args.ts === ts)].map((c) =>
    blocksText(c.args.blocks),
  );
}

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  producerRedis = createProducerConnection('redis://127.0.0.1:6379');
  await waitReady(producerRedis, 5000);
  producer = new DiagnosisProducer(producerRedis, {
    prefix: PREFIX,
    attempts: 3,
    retentionSeconds: 600,
    backoffMs: 50,
  });
  events = new QueueEvents(DIAGNOSE_QUEUE, { connection: { host: '127.0.0.1', port: 6379 }, prefix: PREFIX });
  await events.waitUntilReady();
});

afterEach(async () => {
  await worker?.close(5000);
  workerRedis?.disconnect();
  worker = null;
  slack.calls.length = 0;
  await producer.queue.obliterate({ force: true });
});

afterAll(async () => {
  await events.close();
  await producer.close();
  producerRedis.disconnect();
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
  await slack.close();
});

describe('diagnosis worker', () => {
  it('keeps one message up to date through the stages and ends with the report and stored plans', async () => {
    start(fakeEngine(redis, COUNTERS, 20).diagnose);
    const queued = await producer.enqueue(jobData('c-dql6k'));
    expect(queued.outcome).toBe('queued');
    const job = (await producer.queue.getJob(queued.jobId))!;
    const result = await job.waitUntilFinished(events, 20000);
    expect(result.findings).toHaveLength(1);

    const history = messageHistory();
    expect(slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    expect(history[0]).toContain('is queued');
    const stageOf = (t: string) =>
      ['Reading apiserver logs', 'Reading node objects', 'Asking the node agents'].find((s) =>
        t.includes(`:arrow_forward: *${s}*`),
      ) ?? (t.includes('Approve patch') ? 'report' : 'other');
    const stages = history.map(stageOf).filter((s, i, a) => s !== a[i - 1]);
    expect(stages).toEqual([
      'other',
      'Reading apiserver logs',
      'Reading node objects',
      'Asking the node agents',
      'report',
    ]);
    expect(history.some((t) => t.includes('2.0 MiB, 20,000 lines'))).toBe(true);
    // Once known, the amount read stays on the logs line through the later stages.
    const nodesStage = history.find((t) => t.includes(':arrow_forward: *Reading node objects*'))!;
    expect(nodesStage).toContain(':white_check_mark: Reading apiserver logs (2.0 MiB, 20,000 lines)');

    const final = slack.callsOf('chat.update').at(-1)!;
    const buttons = (
      final.args.blocks as {
        type: string;
        block_id?: string;
        elements?: { value: string; action_id: string }[];
      }[]
    ).find((b) => b.block_id === 'finding-0')!.elements!;
    const plans = new PlanStore(redis, PREFIX, 60);
    const patch = await plans.get(buttons.find((b) => b.action_id === 'approve_patch')!.value);
    expect(patch).toMatchObject({
      kind: 'patch',
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      jobId: queued.jobId,
    });
    expect(buttons.every((b) => b.value.length < 64)).toBe(true);
    expect(await new JobMessageStore(redis, PREFIX, 60).get(queued.jobId)).toMatchObject({
      channel: 'C0OPS',
    });
  });

  it('a job handed back at shutdown publishes nothing; the next attempt publishes the one report', async () => {
    const { reportWithFinding } = await import('../slack/fixtures.js');
    let started = 0;
    // As the real churn watch does, this engine answers an abort with what it has, not an error.
    const first = start(async (_params, onProgress, signal) => {
      started++;
      onProgress({ stage: 'watching-churn', detail: 'watching nodes.management.cattle.io for 45s' });
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      return reportWithFinding;
    });
    const queued = await producer.enqueue(jobData('c-handback'));
    while (started === 0) await new Promise((r) => setTimeout(r, 20));
    expect(await first.close(100)).toEqual({ handedBack: [queued.jobId] });
    workerRedis?.disconnect();
    worker = null;

    expect(await producer.queue.getJobState(queued.jobId)).toBe('waiting');
    const published = () =>
      slack.callsOf('chat.update').filter((c) => blocksText(c.args.blocks).includes('Approve patch'));
    expect(published()).toHaveLength(0);
    const plans = await Promise.all(
      (await redis.keys(`${PREFIX}:doctor:plan:*`)).map(async (k) => JSON.parse((await redis.get(k))!)),
    );
    expect(plans.filter((p: { jobId: string }) => p.jobId === queued.jobId)).toEqual([]);
    const { ts } = (await new JobMessageStore(redis, PREFIX, 60).get(queued.jobId))!;
    const history = () =>
      slack.callsOf('chat.update').flatMap((c) => (c.args.ts === ts ? [blocksText(c.args.blocks)] : []));
    expect(history().at(-1)).toContain('handed back');

    start(fakeEngine(redis, COUNTERS, 1).diagnose);
    await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);
    expect(published()).toHaveLength(1);
    const updates = history();
    const handedBackAt = updates.findIndex((t) => t.includes('handed back'));
    const startingAt = updates.findIndex((t, i) => i > handedBackAt && t.includes('starting'));
    expect(handedBackAt).toBeGreaterThan(0);
    expect(startingAt).toBeGreaterThan(handedBackAt);
    expect(updates.at(-1)).toContain('Approve patch');
  });

  it('throttles updates but always sends the last state', async () => {
    start(fakeEngine(redis, COUNTERS, 5).diagnose, 60_000);
    const queued = await producer.enqueue(jobData('c-throttle'));
    await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);
    const updates = slack.callsOf('chat.update');
    // One progress update gets through the minute-long window, the rest wait; the report replaces them.
    expect(updates).toHaveLength(2);
    expect(blocksText(updates.at(-1)!.args.blocks)).toContain('Approve patch');
  });

  it('a permanent failure is not retried and is shown in the message', async () => {
    let calls = 0;
    start(async () => {
      calls++;
      throw new AccessError(
        'forbidden: cannot list nodes.management.cattle.io',
        403,
        'Grant list on nodes.management.cattle.io',
      );
    });
    const queued = await producer.enqueue(jobData('c-denied'));
    const job = (await producer.queue.getJob(queued.jobId))!;
    await expect(job.waitUntilFinished(events, 20000)).rejects.toThrow('forbidden');
    expect(calls).toBe(1);
    const text = blocksText(slack.callsOf('chat.update').at(-1)!.args.blocks);
    expect(text).toContain('failed');
    expect(text).toContain('Grant list on nodes.management.cattle.io');
  });

  it('a transient failure is retried with backoff, the message saying so, then succeeds', async () => {
    const engine = fakeEngine(redis, COUNTERS, 1);
    let calls = 0;
    start(async (params, onProgress, signal) => {
      calls++;
      if (calls === 1) throw new TransientError('apiserver answered 503');
      return engine.diagnose(params, onProgress, signal);
    });
    const queued = await producer.enqueue(jobData('c-flaky'));
    const result = await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);
    expect(result.findings).toHaveLength(1);
    expect(calls).toBe(2);
    expect(
      slack.callsOf('chat.update').some((c) => blocksText(c.args.blocks).includes('attempt 1 of 3 failed')),
    ).toBe(true);
  });

  it('Slack 429: the retry waits the Retry-After; the job goes on and the report arrives', async () => {
    slack.script('chat.update', { status: 429, retryAfter: 2 });
    start(fakeEngine(redis, COUNTERS, 1).diagnose);
    const first = await producer.enqueue(jobData('c-ratelimited'));
    await (await producer.queue.getJob(first.jobId))!.waitUntilFinished(events, 20000);
    const updates = slack.callsOf('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(2);
    // The first update got the 429; the next call of any kind came only after Retry-After.
    const limited = updates[0]!;
    const next = slack.calls[slack.calls.indexOf(limited) + 1]!;
    expect(next.method).toBe('chat.update');
    expect(next.at - limited.at).toBeGreaterThanOrEqual(1950);
    expect(blocksText(updates.at(-1)!.args.blocks)).toContain('Approve patch');
  });

  it('Slack 429 past the retries: logged with method and channel, not reported into Slack, no loop', async () => {
    const { log: captured, lines } = captureLog();
    // retries: 2 -> three attempts of the first update, each answered 429, one second apart.
    slack.script('chat.update', { status: 429, retryAfter: 1 }, 3);
    start(fakeEngine(redis, COUNTERS, 1).diagnose, 0, captured);
    const queued = await producer.enqueue(jobData('c-limited-hard'));
    const result = await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 30000);
    expect(result.findings).toHaveLength(1);

    const failures = lines.filter((l) => l.msg === 'Slack Web API call failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ method: 'chat.update', channel: 'C0OPS' });
    expect(String(failures[0]!.err)).toMatch(/rate limit/i);
    // Nothing about the failure went to Slack: one channel message (and the report's thread under
    // it), no text about rate limits, and the updates are the three refused attempts plus the ones
    // after (no retry loop).
    const posts = slack.callsOf('chat.postMessage');
    expect(posts.filter((c) => !c.args.thread_ts)).toHaveLength(1);
    expect(posts.every((c) => !/rate.?limit|429/i.test(blocksText(c.args.blocks)))).toBe(true);
    const updates = slack.callsOf('chat.update');
    expect(updates.every((c) => !/rate.?limit|429/i.test(blocksText(c.args.blocks)))).toBe(true);
    expect(updates.length).toBeLessThanOrEqual(3 + 5);
    expect(blocksText(updates.at(-1)!.args.blocks)).toContain('Approve patch');
  }, 40000);

  it('other Web API errors: each logged with the method and the channel, never posted to Slack', async () => {
    const { log: captured, lines } = captureLog();
    slack.script('chat.update', { status: 'error', error: 'message_not_found' }, 100);
    start(fakeEngine(redis, COUNTERS, 1).diagnose, 0, captured);
    const second = await producer.enqueue(jobData('c-gone'));
    const result = await (await producer.queue.getJob(second.jobId))!.waitUntilFinished(events, 20000);
    expect(result.findings).toHaveLength(1);
    // No thread either: it would hang under a message that never showed the report.
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    const failures = lines.filter((l) => l.msg === 'Slack Web API call failed');
    expect(failures.length).toBe(slack.callsOf('chat.update').length);
    for (const f of failures) {
      expect(f).toMatchObject({ method: 'chat.update', channel: 'C0OPS', slackError: 'message_not_found' });
    }
  });

  it('an incomplete patch gets no stored plan and no Approve patch button; the other buttons stay', async () => {
    const { reportIncompletePatch } = await import('../slack/fixtures.js');
    start(async () => reportIncompletePatch);
    const queued = await producer.enqueue(jobData('c-incomplete'));
    await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);
    const final = slack.callsOf('chat.update').at(-1)!;
    const buttons = (
      final.args.blocks as {
        type: string;
        block_id?: string;
        elements?: { value: string; action_id: string }[];
      }[]
    ).find((b) => b.block_id === 'finding-0')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual(['approve_drain', 'dismiss']);
    expect(blocksText(final.args.blocks)).toContain('No *Approve patch*');
    const stored = await redis.keys(`${PREFIX}:doctor:plan:*`);
    const ofThisJob = (await Promise.all(stored.map(async (k) => JSON.parse((await redis.get(k))!)))).filter(
      (p: { jobId: string }) => p.jobId === queued.jobId,
    );
    expect(ofThisJob.map((p: { kind: string }) => p.kind).sort()).toEqual(['dismiss', 'drain']);
  });

  it('no finding and access problems end in their own reports', async () => {
    const noFinding: DiagnosisReport = { ...(await import('../slack/fixtures.js')).reportWithProblems };
    start(async () => noFinding);
    const queued = await producer.enqueue(jobData(null));
    await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);
    const text = blocksText(slack.callsOf('chat.update').at(-1)!.args.blocks);
    // Nothing could be read: not the all-clear.
    expect(text).toContain('No write activity could be read');
    expect(text).toContain('Could not read 2 things');
  });
});
