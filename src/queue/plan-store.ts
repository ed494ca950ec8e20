import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from './redis.js';

/**
 * Fix plans behind the report's buttons. A button carries only the opaque id; the plan itself
 * stays in Redis with a TTL, so an old button finds nothing and says the plan has expired.
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
  /** PatchPlan or DrainPlan as the diagnosis made it; whoever reads a field of it checks that field. */
  plan: z.record(z.string(), z.unknown()).nullable(),
});

export type StoredPlan = z.infer<typeof storedPlanSchema>;

export const decisionSchema = z.object({
  decision: z.enum(['approved', 'dismissed']),
  userId: z.string(),
  at: z.string(),
});

export type Decision = z.infer<typeof decisionSchema>;

export class PlanStore {
  private readonly k;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlSeconds: number,
  ) {
    this.k = keys(prefix);
  }

  async save(plan: StoredPlan): Promise<string> {
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

  /**
   * Records the first decision on a plan; later clicks get the first one back, so a double
   * click or two approvers at once cannot record two decisions.
   */
  async decide(id: string, decision: Decision): Promise<{ recorded: boolean; decision: Decision }> {
    const key = this.k.decision(id);
    const ok = await this.redis.set(key, JSON.stringify(decision), 'EX', this.ttlSeconds, 'NX');
    if (ok === 'OK') return { recorded: true, decision };
    const earlier = decisionSchema.parse(JSON.parse((await this.redis.get(key)) ?? 'null'));
    return { recorded: false, decision: earlier };
  }
}
