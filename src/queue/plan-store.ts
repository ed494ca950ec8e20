import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from './redis.js';

/**
 * Fix plans behind the report's buttons. A button carries only the opaque id; the plan itself
 * stays in Redis with a TTL, so an old button finds nothing and says the plan has expired. What is
 * decided about the plan's object is kept per object (DecisionStore), not per plan.
 */
export const storedPlanSchema = z.object({
  kind: z.enum(['patch', 'drain', 'dismiss']),
  jobId: z.string(),
  findingId: z.string(),
  clusterId: z.string().nullable(),
  nodeId: z.string().nullable(),
  /** What people call the target, e.g. "machine-h46dc in prod-east". */
  target: z.string(),
  createdAt: z.string(),
  /** Who asked for the diagnosis: the self-approval rule looks at them. */
  requestedBy: z.string().nullable().default(null),
  /** The rate the diagnosis measured, for the verification's "was ...". */
  writesPerMinute: z.number().nullable().default(null),
  /** PatchPlan or DrainPlan as the diagnosis made it; whoever reads a field of it checks that field. */
  plan: z.record(z.string(), z.unknown()).nullable(),
});

export type StoredPlan = z.infer<typeof storedPlanSchema>;

export class PlanStore {
  private readonly k;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.k = keys(prefix);
  }

  async save(plan: z.input<typeof storedPlanSchema>): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    await this.redis.set(this.k.plan(id), JSON.stringify(plan), 'EX', this.ttlSeconds);
    return id;
  }

  async get(id: string): Promise<StoredPlan | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    const raw = await this.redis.get(this.k.plan(id));
    if (!raw) return null;
    const parsed = storedPlanSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }
}
