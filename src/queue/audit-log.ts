import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditEntry } from '../remediation/approval/audit.js';
import { keys } from './redis.js';

const entrySchema: z.ZodType<AuditEntry> = z.object({
  at: z.string(),
  event: z.enum([
    'request',
    'approval',
    'rejection',
    'dismissal',
    'refusal',
    'execution',
    'result',
    'verification',
  ]),
  slackUser: z.string().nullable(),
  kubernetesIdentity: z.string().nullable(),
  approvedBy: z.array(z.string()).optional(),
  clusterId: z.string().nullable(),
  nodeId: z.string().nullable(),
  kind: z.enum(['patch', 'drain', 'dismiss']).nullable(),
  decision: z.number().nullable(),
  planId: z.string().nullable(),
  detail: z.string().nullable(),
  resourceVersionBefore: z.string().nullable().optional(),
  resourceVersionAfter: z.string().nullable().optional(),
  before: z.unknown().optional(),
  patch: z.unknown().optional(),
});

export interface AuditLogOptions {
  retentionSeconds: number;
  /** Entries kept at most, whatever their age (trimmed approximately, as Redis does cheaply). */
  maxEntries: number;
}

/**
 * The audit trail: a Redis stream (entries older than the retention and past the cap trimmed as
 * new ones come) and a JSON log line per entry. Entries hold ids, names and objects, never a token.
 */
export class AuditLog {
  private readonly key;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly log: Logger,
    private readonly options: AuditLogOptions,
  ) {
    this.key = keys(prefix).audit;
  }

  async append(entry: AuditEntry, now = Date.now()): Promise<void> {
    this.log.info({ audit: entry }, `audit: ${entry.event}`);
    const oldest = Math.max(0, now - this.options.retentionSeconds * 1000);
    // XADD trims one way at a time: the cap with it, the age just after, in one round trip.
    await this.redis
      .multi()
      .xadd(this.key, 'MAXLEN', '~', String(this.options.maxEntries), '*', 'e', JSON.stringify(entry))
      .xtrim(this.key, 'MINID', '~', String(oldest))
      .exec();
  }

  /** The latest `count` entries, newest first. */
  async latest(count: number): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count);
    const out: AuditEntry[] = [];
    for (const [, fields] of rows) {
      const i = fields.indexOf('e');
      if (i < 0) continue;
      try {
        const parsed = entrySchema.safeParse(JSON.parse(fields[i + 1] ?? ''));
        if (parsed.success) out.push(parsed.data);
      } catch {
        // An entry that is not ours is skipped, not shown.
      }
    }
    return out;
  }
}
