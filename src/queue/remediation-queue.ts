import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Decision, ObjectRef } from '../remediation/approval/decision.js';

export const REMEDIATION_QUEUE = 'remediation';

/** Ids only: the plan stays in the plan store, the state in the decision store. */
export const remediationJobDataSchema = z.object({
  v: z.literal(1),
  clusterId: z.string().min(1),
  nodeId: z.string().min(1),
  number: z.number().int().positive(),
  kind: z.enum(['patch', 'drain']),
  planId: z.string(),
  /** An uncordon job's: the Slack user who asked. */
  askedBy: z.string().optional(),
});

export type RemediationJobData = z.infer<typeof remediationJobDataSchema>;

/**
 * One job per decision, whoever queues it and however often: BullMQ ignores an add whose id it
 * holds. Its ids may not hold ':'; cluster and node ids never hold '~'.
 */
export function remediationJobId(object: ObjectRef, number: number): string {
  return `fix~${object.clusterId}~${object.nodeId}~${number}`;
}

export const verifyJobId = (object: ObjectRef, number: number): string =>
  `${remediationJobId(object, number)}~verify`;

export interface RemediationQueueOptions {
  prefix: string;
  retentionSeconds: number;
  /** Attempts of a job whose worker failed or died; the journal makes each one resume. */
  attempts?: number;
}

export class RemediationQueue {
  readonly queue: Queue;
  constructor(
    connection: Redis,
    private readonly options: RemediationQueueOptions,
  ) {
    this.queue = new Queue(REMEDIATION_QUEUE, { connection, prefix: options.prefix });
    this.queue.on('error', () => undefined);
  }

  /** Queues the decision's action; a second call for the same decision adds nothing. */
  async enqueue(object: ObjectRef, decision: Decision): Promise<string> {
    if (decision.kind === 'dismiss') throw new Error('a dismissal has no action to queue');
    const data: RemediationJobData = {
      v: 1,
      ...object,
      number: decision.number,
      kind: decision.kind,
      planId: decision.planId,
    };
    const jobId = remediationJobId(object, decision.number);
    await this.queue.add('apply', data, {
      jobId,
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: this.options.retentionSeconds },
      removeOnFail: { age: this.options.retentionSeconds },
    });
    return jobId;
  }

  async enqueueVerify(data: RemediationJobData, delaySeconds: number): Promise<void> {
    await this.queue.add('verify', data, {
      jobId: verifyJobId(data, data.number),
      delay: delaySeconds * 1000,
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: this.options.retentionSeconds },
      removeOnFail: { age: this.options.retentionSeconds },
    });
  }

  /** Uncordons the node a stopped drain left cordoned; one job per click. */
  async enqueueUncordon(object: ObjectRef, decision: Decision, askedBy: string, at: string): Promise<void> {
    if (decision.kind !== 'drain') throw new Error('only a drain leaves a node cordoned');
    const data: RemediationJobData = {
      v: 1,
      ...object,
      number: decision.number,
      kind: 'drain',
      planId: decision.planId,
      askedBy,
    };
    await this.queue.add('uncordon', data, {
      jobId: `${remediationJobId(object, decision.number)}~uncordon~${Date.parse(at)}`,
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: this.options.retentionSeconds },
      removeOnFail: { age: this.options.retentionSeconds },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
