import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ProgressEvent } from '../diagnosis/types.js';
import {
  DIAGNOSE_QUEUE,
  diagnoseJobDataSchema,
  newJobId,
  scopeKey,
  type DiagnoseJobData,
} from './job-data.js';
import { isReady } from './redis.js';

export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
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

  async enqueue(data: DiagnoseJobData): Promise<EnqueueOutcome> {
    const valid = diagnoseJobDataSchema.parse(data);
    const jobId = newJobId();
    const job = await this.fast(() =>
      this.queue.add('diagnose', valid, {
        jobId,
        deduplication: { id: scopeKey(valid.clusterId) },
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs ?? 5000 },
        removeOnComplete: { age: this.options.retentionSeconds },
        removeOnFail: { age: this.options.retentionSeconds },
      }),
    );
    if (job.id === jobId) return { outcome: 'queued', jobId };
    // Deduplicated: BullMQ hands back the job that holds the scope.
    const state = await this.fast(() => this.queue.getJobState(job.id!));
    return { outcome: 'already-running', jobId: job.id!, state: state === 'unknown' ? 'queued' : state };
  }

  async status(jobId: string | null, limit = 8): Promise<JobStatus[]> {
    if (jobId) {
      const job = await this.fast(() => this.queue.getJob(jobId));
      return job ? [await this.describe(job)] : [];
    }
    const jobs = await this.fast(() =>
      this.queue.getJobs(
        ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'],
        0,
        limit - 1,
      ),
    );
    const described = await Promise.all(jobs.filter(Boolean).map((j) => this.describe(j)));
    return described.sort((a, b) => b.data.requestedAt.localeCompare(a.data.requestedAt)).slice(0, limit);
  }

  private async describe(job: Job): Promise<JobStatus> {
    const data = diagnoseJobDataSchema.parse(job.data);
    const progress =
      typeof job.progress === 'object' && job.progress !== null ? (job.progress as ProgressEvent) : null;
    return {
      jobId: job.id!,
      data,
      state: await this.fast(() => job.getState()),
      progress,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || null,
    };
  }

  /** Runs a Redis call only when connected, and gives up after failFastMs: the ack must not wait. */
  private async fast<T>(call: () => Promise<T>): Promise<T> {
    if (!isReady(this.redis)) throw new QueueUnavailableError(`Redis connection is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.failFastMs} ms`)),
            this.failFastMs,
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof QueueUnavailableError) throw err;
      if (
        !isReady(this.redis) ||
        /no answer within|Stream isn't writeable|Connection is closed|ECONNREFUSED/.test(String(err))
      ) {
        throw new QueueUnavailableError(err);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
