import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const DIAGNOSE_QUEUE = 'diagnose';

/**
 * What a diagnosis job carries: ids and parameters only. Tokens stay in each process's
 * environment and evidence stays in the result, so job data can be shown and logged freely.
 */
export const diagnoseJobDataSchema = z.object({
  v: z.literal(1),
  clusterId: z.string().min(1).nullable(),
  /** Display name as the bot's cached cluster list had it, for the queued message only. */
  clusterName: z.string().nullable(),
  sinceSeconds: z.number().int().positive().nullable(),
  /** 0: no churn watch; null: the engine's default. */
  watchSeconds: z.number().int().nonnegative().nullable(),
  channelId: z.string().min(1),
  requestedBy: z.string().min(1),
  requestedAt: z.string(),
});

export type DiagnoseJobData = z.infer<typeof diagnoseJobDataSchema>;

/** What a finished job keeps (for `/rancher status` and the retention window): a summary, no evidence. */
export const diagnoseJobResultSchema = z.object({
  /** Worst first, as the report lists them; the optional fields are absent in older results. */
  findings: z.array(
    z.object({
      clusterId: z.string().nullable(),
      nodeId: z.string().nullable(),
      summary: z.string(),
      clusterName: z.string().nullable().optional(),
      hostname: z.string().nullable().optional(),
      writesPerMinute: z.number().nullable().optional(),
      /** The fix advised: patch, drain, or none. */
      fix: z.enum(['patch', 'drain', 'none']).nullable().optional(),
    }),
  ),
  problems: z.number().int(),
  message: z.object({ channel: z.string(), ts: z.string() }).nullable(),
});

export type DiagnoseJobResult = z.infer<typeof diagnoseJobResultSchema>;

/** One diagnosis per scope at a time: the scope is the cluster id, or every cluster. */
export function scopeKey(clusterId: string | null): string {
  return `scope:${clusterId ?? '*'}`;
}

/** Short ids people can type after `/rancher status`. */
export function newJobId(now = Date.now()): string {
  return `d${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function scopeLabel(data: Pick<DiagnoseJobData, 'clusterId' | 'clusterName'>): string {
  if (data.clusterId === null) return 'all clusters';
  return data.clusterName && data.clusterName !== data.clusterId
    ? `${data.clusterName} (${data.clusterId})`
    : data.clusterId;
}
