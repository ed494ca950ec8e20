import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DiagnosisReport } from '../diagnosis/types.js';
import { objectKey, type ObjectRef } from '../remediation/approval/decision.js';
import { diagnoseJobDataSchema, type DiagnoseJobData } from './job-data.js';
import type { FindingPlanIds } from './job-reporter.js';
import { keys } from './redis.js';

/** A finished report as shown, kept so that any process can show it again with its decisions. */
export interface StoredReport {
  jobId: string;
  data: DiagnoseJobData;
  report: DiagnosisReport;
  plans: Record<string, FindingPlanIds>;
}

const storedSchema = z.object({
  jobId: z.string(),
  data: diagnoseJobDataSchema,
  // The engine's own output, written by the worker: its shape is the engine's type.
  report: z.custom<DiagnosisReport>((v) => typeof v === 'object' && v !== null && 'findings' in v),
  plans: z.record(
    z.string(),
    z.object({ patch: z.string().nullable(), drain: z.string().nullable(), dismiss: z.string() }),
  ),
});

/** Where one report's message is, for the objects its findings are about. */
export interface ObjectMessage {
  jobId: string;
  channel: string;
  ts: string;
}

const messageSchema = z.object({ jobId: z.string(), channel: z.string(), ts: z.string() });

/**
 * Reports by job, and for each object every message that shows it: a decision on a node rebuilds
 * them all from here, never from the copy of the message a click carries.
 */
export class ReportStore {
  private readonly k;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.k = keys(prefix);
  }

  async save(stored: StoredReport, message: { channel: string; ts: string } | null): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.k.report(stored.jobId), JSON.stringify(stored), 'EX', this.ttlSeconds);
    if (message) {
      for (const f of stored.report.findings) {
        if (!f.clusterId || !f.nodeId) continue;
        const key = this.k.objectMessages(objectKey({ clusterId: f.clusterId, nodeId: f.nodeId }));
        const ref: ObjectMessage = { jobId: stored.jobId, channel: message.channel, ts: message.ts };
        multi.hset(key, stored.jobId, JSON.stringify(ref)).expire(key, this.ttlSeconds);
      }
    }
    await multi.exec();
  }

  async get(jobId: string): Promise<StoredReport | null> {
    const raw = await this.redis.get(this.k.report(jobId));
    if (!raw) return null;
    try {
      const parsed = storedSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async messagesOf(object: ObjectRef): Promise<ObjectMessage[]> {
    const all = await this.redis.hvals(this.k.objectMessages(objectKey(object)));
    return all.flatMap((raw) => {
      try {
        const parsed = messageSchema.safeParse(JSON.parse(raw));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }
}
