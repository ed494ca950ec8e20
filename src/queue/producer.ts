import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ProgressEvent } from '../diagnosis/types.js';
import {
  DIAGNOSE_QUEUE,
  diagnoseJobDataSchema,
  diagnoseJobResultSchema,
  newJobId,
  scopeKey,
  type DiagnoseJobData,
  type DiagnoseJobResult,
} from './job-data.js';
import { isReady } from './redis.js';

/** A job's progress as the worker stored it; anything else counts as none. */
const progressSchema: z.ZodType<ProgressEvent> = z.object({
  stage: z.enum([
    'queued',
    'reading-apiserver-logs',
    'watching-churn',
    'reading-node-objects',
    'asking-node-agents',
    'done',
  ]),
  detail: z.string(),
  bytes: z.number().optional(),
  lines: z.number().optional(),
  watch: z
    .object({ seconds: z.number(), secondsLeft: z.number(), updates: z.number(), objects: z.number() })
    .optional(),
});

export class QueueUnavailableError extends Error {
  /**
   * @param sent true when the call had gone out to Redis before it failed (no answer in time, or the
   * connection lost meanwhile): it may have been carried out. False when it was never sent.
   */
  constructor(
    cause: unknown,
    readonly sent = false,
  ) {
    super(`job queue unreachable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'QueueUnavailableError';
  }
}

export type EnqueueOutcome =
  { outcome: 'queued'; jobId: string } | { outcome: 'already-running'; jobId: string; state: string };

export interface ProducerOptions {
  prefix: string;
  attempts: number;
  retentionSeconds: number;
  /** Longest a Redis call may take before the ack says the queue is unreachable. */
  failFastMs?: number;
  backoffMs?: number;
}

export interface JobStatus {
  jobId: string;
  data: DiagnoseJobData;
  state: string;
  progress: ProgressEvent | null;
  attemptsMade: number;
  failedReason: string | null;
  /** A finished job's summary; null until it finishes (or when what it kept is not one). */
  result: DiagnoseJobResult | null;
}

/** The bot's side of the diagnose queue: enqueues with one job per scope, and reads job state. */
export class DiagnosisProducer {
  readonly queue: Queue;
  private readonly failFastMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: ProducerOptions,
  ) {
    this.queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: options.prefix });
    // Errors surface through each call; keep the emitter from crashing the process meanwhile.
    this.queue.on('error', () => undefined);
    this.failFastMs = options.failFastMs ?? 1500;
  }

  /**
   * Adds the job, or finds the one that holds its scope. `timeoutMs` bounds the whole of it (one
   * round trip when queued; a second one, for the holder's state, when deduplicated).
   */
  async enqueue(data: DiagnoseJobData, timeoutMs = this.failFastMs): Promise<EnqueueOutcome> {
    const deadline = Date.now() + timeoutMs;
    const valid = diagnoseJobDataSchema.parse(data);
    const jobId = newJobId();
    const job = await this.fast(
      () =>
        this.queue.add('diagnose', valid, {
          jobId,
          deduplication: { id: scopeKey(valid.clusterId) },
          attempts: this.options.attempts,
          backoff: { type: 'exponential', delay: this.options.backoffMs ?? 5000 },
          removeOnComplete: { age: this.options.retentionSeconds },
          removeOnFail: { age: this.options.retentionSeconds },
        }),
      timeoutMs,
      true,
    );
    if (job.id === jobId) return { outcome: 'queued', jobId };
    // Deduplicated: BullMQ hands back the job that holds the scope.
    const state = await this.fast(() => this.queue.getJobState(job.id!), Math.max(1, deadline - Date.now()));
    return { outcome: 'already-running', jobId: job.id!, state: state === 'unknown' ? 'queued' : state };
  }

  async status(jobId: string | null, limit = 8, timeoutMs = this.failFastMs): Promise<JobStatus[]> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    if (jobId) {
      const job = await this.fast(() => this.queue.getJob(jobId), left());
      return job ? [await this.describe(job, left())] : [];
    }
    const jobs = await this.fast(
      () =>
        this.queue.getJobs(
          ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'],
          0,
          limit - 1,
        ),
      left(),
    );
    const remaining = left();
    const described = await Promise.all(jobs.filter(Boolean).map((j) => this.describe(j, remaining)));
    return described.sort((a, b) => b.data.requestedAt.localeCompare(a.data.requestedAt)).slice(0, limit);
  }

  private async describe(job: Job, timeoutMs: number): Promise<JobStatus> {
    const data = diagnoseJobDataSchema.parse(job.data);
    const progress = progressSchema.safeParse(job.progress).data ?? null;
    return {
      jobId: job.id!,
      data,
      state: await this.fast(() => job.getState(), timeoutMs),
      progress,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || null,
      result: diagnoseJobResultSchema.safeParse(job.returnvalue).data ?? null,
    };
  }

  /** Runs a Redis call only when connected, and gives up after failFastMs: the ack must not wait. */
  private fast<T>(call: () => Promise<T>, timeoutMs = this.failFastMs, writes = false): Promise<T> {
    return failFast(this.redis, call, timeoutMs, writes);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Runs a Redis call for an ack: at once QueueUnavailableError when the connection is not ready
 * (no waiting for a reconnect), and the same after `timeoutMs` without an answer. `writes` marks a
 * call that changes data, whose failure after it went out leaves its outcome unknown (`sent`).
 */
export async function failFast<T>(
  redis: Redis,
  call: () => Promise<T>,
  timeoutMs: number,
  writes = false,
): Promise<T> {
  if (!isReady(redis)) throw new QueueUnavailableError(`Redis connection is ${redis.status}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof QueueUnavailableError) throw err;
    if (
      !isReady(redis) ||
      /no answer within|Stream isn't writeable|Connection is closed|ECONNREFUSED|Command timed out/.test(
        String(err),
      )
    ) {
      // A write that went out may have been carried out; one the stream refused was not.
      throw new QueueUnavailableError(err, writes && !/Stream isn't writeable/.test(String(err)));
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
