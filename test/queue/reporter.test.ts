import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pino } from 'pino';
import type { DiagnosisReport, ProgressEvent } from '../../src/diagnosis/types.js';
import { AccessError, TransientError } from '../../src/errors.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import type {
  FindingPlanIds,
  JobAttempt,
  JobFailure,
  JobReport,
  JobReporter,
} from '../../src/queue/job-reporter.js';
import { PlanStore } from '../../src/queue/plan-store.js';
import { DiagnosisProducer } from '../../src/queue/producer.js';
import { createProducerConnection, createWorkerConnection, waitReady } from '../../src/queue/redis.js';
import { startDiagnosisWorker, type DiagnoseFn, type DiagnosisWorker } from '../../src/queue/worker.js';
import { fakeEngine, jobData } from './fake-engine.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-reporter-${process.pid}`;
const COUNTERS = `${PREFIX}:test:counters`;
const SRC = resolve('src');

type Recorded =
  | { kind: 'started'; job: JobAttempt }
  | { kind: 'progress'; event: ProgressEvent }
  | { kind: 'settled' }
  | { kind: 'done'; report: DiagnosisReport; plans: Record<string, FindingPlanIds> }
  | { kind: 'failed'; failure: JobFailure }
  | { kind: 'handed-back' };

/** A reporter that tells nobody: it writes down what the worker reported, per job, in order. */
class RecordingReporter implements JobReporter {
  readonly jobs = new Map<string, Recorded[]>();

  started(job: JobAttempt): Promise<JobReport> {
    const log = this.jobs.get(job.jobId) ?? [];
    this.jobs.set(job.jobId, log);
    log.push({ kind: 'started', job });
    return Promise.resolve({
      message: null,
      progress: (event) => void log.push({ kind: 'progress', event }),
      settled: async () => void log.push({ kind: 'settled' }),
      done: async (report, plans) => void log.push({ kind: 'done', report, plans }),
      failed: async (failure) => void log.push({ kind: 'failed', failure }),
      handedBack: async () => void log.push({ kind: 'handed-back' }),
    });
  }

  kinds(jobId: string): string[] {
    return (this.jobs.get(jobId) ?? []).map((r) => r.kind).filter((k, i, a) => k !== a[i - 1]);
  }
}

/** Every module `entry` imports, types too, following relative imports through src/. */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      if (m[1]!.startsWith('.')) visit(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
      else seen.add(m[1]!);
    }
  };
  visit(entry);
  return seen;
}

let redis: Redis;
let producerRedis: Redis;
let producer: DiagnosisProducer;
let events: QueueEvents;
let worker: DiagnosisWorker | null = null;
let workerRedis: Redis | null = null;

function start(diagnose: DiagnoseFn, reporter: JobReporter): DiagnosisWorker {
  workerRedis = createWorkerConnection('redis://127.0.0.1:6379');
  worker = startDiagnosisWorker({
    connection: workerRedis,
    prefix: PREFIX,
    reporter,
    diagnose,
    log: pino({ level: 'silent' }),
    concurrency: 2,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    planTtlSeconds: 60,
  });
  return worker;
}

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  producerRedis = createProducerConnection('redis://127.0.0.1:6379');
  await waitReady(producerRedis, 5000);
  producer = new DiagnosisProducer(producerRedis, {
    prefix: PREFIX,
    attempts: 2,
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
  await producer.queue.obliterate({ force: true });
});

afterAll(async () => {
  await events.close();
  await producer.close();
  producerRedis.disconnect();
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
});

describe('the queue without Slack', () => {
  it('no module of src/queue/ loads Slack, directly or through another module', () => {
    for (const file of readdirSync(join(SRC, 'queue')).filter((f) => f.endsWith('.ts'))) {
      const graph = [...moduleGraph(join(SRC, 'queue', file))];
      const slack = graph.filter(
        (m) => m.startsWith('@slack/') || relative(SRC, m).split('/')[0] === 'slack',
      );
      expect({ file, slack }).toEqual({ file, slack: [] });
    }
  });

  it('a worker with a recording reporter: started, progress, settled, done with the stored plans', async () => {
    const reporter = new RecordingReporter();
    start(fakeEngine(redis, COUNTERS, 5).diagnose, reporter);
    const queued = await producer.enqueue(jobData('c-dql6k'));
    const result = await (await producer.queue.getJob(queued.jobId))!.waitUntilFinished(events, 20000);

    expect(reporter.kinds(queued.jobId)).toEqual(['started', 'progress', 'settled', 'done']);
    const recorded = reporter.jobs.get(queued.jobId)!;
    expect(recorded[0]).toMatchObject({
      kind: 'started',
      job: { jobId: queued.jobId, attempt: 1, attempts: 2, data: { clusterId: 'c-dql6k' } },
    });
    const stages = recorded.flatMap((r) => (r.kind === 'progress' ? [r.event.stage] : []));
    expect(stages.filter((s, i, a) => s !== a[i - 1])).toEqual([
      'reading-apiserver-logs',
      'reading-node-objects',
      'asking-node-agents',
    ]);

    const done = recorded.at(-1) as Extract<Recorded, { kind: 'done' }>;
    expect(done.report.findings).toHaveLength(1);
    const ids = done.plans[done.report.findings[0]!.id]!;
    const plans = new PlanStore(redis, PREFIX, 60);
    expect(await plans.get(ids.patch!)).toMatchObject({ kind: 'patch', jobId: queued.jobId });
    expect(await plans.get(ids.drain!)).toMatchObject({ kind: 'drain', jobId: queued.jobId });
    expect(await plans.get(ids.dismiss)).toMatchObject({ kind: 'dismiss', plan: null });
    // The reporter showed the job nowhere: the result says so rather than point to a message.
    expect(result).toMatchObject({ findings: [{ nodeId: 'machine-h46dc' }], message: null });
  });

  it('a transient failure is reported with the retry to come, a permanent one as final', async () => {
    const reporter = new RecordingReporter();
    let calls = 0;
    start(async () => {
      calls++;
      if (calls === 1) throw new TransientError('apiserver timed out');
      throw new AccessError('forbidden', 403, 'Grant list on nodes');
    }, reporter);
    const queued = await producer.enqueue(jobData('c-failing'));
    const job = (await producer.queue.getJob(queued.jobId))!;
    await expect(job.waitUntilFinished(events, 20000)).rejects.toThrow('forbidden');

    expect(reporter.kinds(queued.jobId)).toEqual([
      'started',
      'progress',
      'settled',
      'failed',
      'started',
      'progress',
      'settled',
      'failed',
    ]);
    const failures = reporter.jobs
      .get(queued.jobId)!
      .flatMap((r) => (r.kind === 'failed' ? [r.failure] : []));
    expect(failures).toEqual([
      { message: 'apiserver timed out', hint: null, permanent: false, retry: { attempt: 1, of: 2 } },
      { message: 'forbidden', hint: 'Grant list on nodes', permanent: true, retry: null },
    ]);
  });

  it('a job handed back at shutdown is reported handed back, with no report and no plans', async () => {
    const reporter = new RecordingReporter();
    let started = false;
    const first = start(async (_params, onProgress, signal) => {
      started = true;
      onProgress({ stage: 'watching-churn', detail: 'watching' });
      await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
      throw new Error('aborted');
    }, reporter);
    const queued = await producer.enqueue(jobData('c-handback'));
    while (!started) await new Promise((r) => setTimeout(r, 20));
    expect(await first.close(100)).toEqual({ handedBack: [queued.jobId] });
    workerRedis?.disconnect();
    worker = null;

    expect(reporter.kinds(queued.jobId)).toEqual(['started', 'progress', 'settled', 'handed-back']);
    const plans = await Promise.all(
      (await redis.keys(`${PREFIX}:doctor:plan:*`)).map(async (k) => JSON.parse((await redis.get(k))!)),
    );
    expect(plans.filter((p: { jobId: string }) => p.jobId === queued.jobId)).toEqual([]);
  });
});
