import { z } from 'zod';
import type { DrainPlan, PatchPlan } from '../../diagnosis/types.js';

/**
 * A patch plan read back from where it waited for approval (Redis, a job's data): checked before
 * anything is written from it. Fields the executor does not use pass through.
 */
export const patchPlanSchema = z.looseObject({
  clusterId: z.string().min(1),
  nodeId: z.string().min(1),
  resourceVersion: z.string(),
  mergePatch: z.record(z.string(), z.unknown()),
  diff: z.string(),
  complete: z.boolean(),
  underivable: z.array(
    z.looseObject({ field: z.string(), reason: z.string(), fillIn: z.string().optional() }),
  ),
  derivedFrom: z.record(z.string(), z.string()),
  basis: z
    .object({
      addresses: z.array(z.string()),
      hostname: z.string().nullable(),
      roles: z.array(z.string()),
      rkeNodeAbsent: z.boolean(),
      customConfigAbsent: z.boolean(),
    })
    .optional(),
  ineligible: z.string().optional(),
}) satisfies z.ZodType<PatchPlan>;

/** The plan, or null when what was stored is not one. */
export function readPatchPlan(value: unknown): PatchPlan | null {
  const parsed = patchPlanSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

const podRef = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  owner: z.string().nullable(),
  emptyDir: z.literal(true).optional(),
  noController: z.literal(true).optional(),
});
const role = z.enum(['etcd', 'controlplane', 'worker']);

/** A drain plan read back from Redis: what the drain evicts is decided from it. */
export const drainPlanSchema = z.looseObject({
  clusterId: z.string().min(1),
  nodeId: z.string().min(1),
  downstreamNode: z.string().nullable(),
  downstreamRead: z.boolean().optional(),
  evict: z.array(podRef),
  leave: z.array(podRef.extend({ reason: z.string() })),
  blockingPodDisruptionBudgets: z.array(
    z.looseObject({ namespace: z.string(), name: z.string(), reason: z.string() }),
  ),
  lastOfRole: z.array(z.enum(['etcd', 'controlplane'])).optional(),
  steps: z.array(z.string()),
  registration: z
    .looseObject({ tokenName: z.string(), roles: z.array(role), maskedCommand: z.string().nullable() })
    .nullable(),
  notes: z.array(z.string()),
  downstreamKubectl: z.string().nullable().optional(),
}) satisfies z.ZodType<DrainPlan>;

export function readDrainPlan(value: unknown): DrainPlan | null {
  const parsed = drainPlanSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
