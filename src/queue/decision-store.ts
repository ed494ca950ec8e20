import type { Redis } from 'ioredis';
import { z } from 'zod';
import { objectKey, type ObjectRef, type ObjectState } from '../remediation/approval/decision.js';
import { keys } from './redis.js';

const approval = z.object({ userId: z.string(), at: z.string() });

const drainFactsSchema = z.object({
  node: z.string(),
  evicted: z.array(z.string()),
  blocked: z.array(z.object({ pod: z.string(), pdbs: z.array(z.string()), message: z.string() })),
  terminating: z.array(z.string()),
  cordoned: z.boolean(),
  nodeDeleted: z.boolean(),
  machineObjectGone: z.boolean().nullable(),
  stopReason: z.enum(['deadline', 'stop']).nullable(),
  stoppedBy: z.string().nullable(),
  uncordon: z.object({ by: z.string(), at: z.string(), outcome: z.string(), message: z.string() }).nullable(),
});

const decisionSchema = z.object({
  number: z.number().int().positive(),
  kind: z.enum(['patch', 'drain', 'dismiss']),
  planId: z.string(),
  diagnosisJobId: z.string(),
  requestedBy: z.string().nullable(),
  required: z.number().int().positive(),
  approvals: z.array(approval),
  closedBy: approval.nullable(),
  status: z.enum([
    'awaiting',
    'queued',
    'running',
    'finished',
    'failed',
    'refused',
    'stopped',
    'dismissed',
    'rejected',
  ]),
  openedAt: z.string(),
  expiresAt: z.string(),
  updatedAt: z.string(),
  result: z
    .object({
      outcome: z.enum(['applied', 'already-applied', 'removed', 'stopped', 'refused', 'failed']),
      detail: z.string().nullable(),
      changed: z.array(z.string()),
      resourceVersionBefore: z.string().nullable(),
      resourceVersionAfter: z.string().nullable(),
      diff: z.string().nullable(),
      attempts: z.number().nullable(),
      at: z.string(),
      drain: drainFactsSchema.nullish(),
    })
    .nullable(),
  verification: z
    .object({
      stopped: z.boolean(),
      writesPerMinute: z.number(),
      siblingWritesPerMinute: z.number().nullable(),
      wasWritesPerMinute: z.number().nullable(),
      detail: z.string().nullable(),
      at: z.string(),
    })
    .nullable(),
});

export const objectStateSchema: z.ZodType<ObjectState> = z.object({
  object: z.object({ clusterId: z.string(), nodeId: z.string() }),
  count: z.number().int().nonnegative(),
  closedBefore: z.string().nullable(),
  current: decisionSchema.nullable(),
});

/** Swaps the stored value only if it is still the one read: the compare in compare-and-set. */
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
`;

type CasRedis = Redis & {
  doctorCas(key: string, expected: string, next: string, ttlSeconds: number): Promise<number>;
};

function withCas(redis: Redis): CasRedis {
  if (!('doctorCas' in redis)) redis.defineCommand('doctorCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
  return redis as CasRedis;
}

export class DecisionConflictError extends Error {
  constructor(key: string) {
    super(`the decision on ${key} kept changing under us; try again`);
    this.name = 'DecisionConflictError';
  }
}

/**
 * Each object's decisions in one Redis value. Every change is computed from the value read and
 * written only if nobody changed it meanwhile (a Lua compare-and-set), else computed again from
 * the newer value: ten clicks at once make one decision.
 */
export class DecisionStore {
  private readonly k;
  private readonly redis: CasRedis;
  constructor(
    redis: Redis,
    prefix: string,
    /** Outlives the plans, so a closed request stays closed for as long as its buttons exist. */
    private readonly ttlSeconds: number,
    private readonly maxTries = 50,
  ) {
    this.k = keys(prefix);
    this.redis = withCas(redis);
  }

  async get(object: ObjectRef): Promise<ObjectState | null> {
    return this.parse(await this.redis.get(this.k.object(objectKey(object))));
  }

  async getMany(objects: ObjectRef[]): Promise<(ObjectState | null)[]> {
    if (!objects.length) return [];
    const raw = await this.redis.mget(objects.map((o) => this.k.object(objectKey(o))));
    return raw.map((r) => this.parse(r));
  }

  /**
   * Runs `change` on the stored state until its result is written unchanged-under-it; `next` null
   * writes nothing. Returns the result of the run that counted.
   */
  async update<T>(
    object: ObjectRef,
    change: (state: ObjectState | null) => { next: ObjectState | null; result: T },
  ): Promise<{ result: T; state: ObjectState | null }> {
    const key = this.k.object(objectKey(object));
    for (let i = 0; i < this.maxTries; i++) {
      const raw = (await this.redis.get(key)) ?? '';
      const state = this.parse(raw);
      const { next, result } = change(state);
      if (next === null) return { result, state };
      const written = JSON.stringify(next);
      if ((await this.redis.doctorCas(key, raw, written, this.ttlSeconds)) === 1)
        return { result, state: next };
    }
    throw new DecisionConflictError(objectKey(object));
  }

  private parse(raw: string | null): ObjectState | null {
    if (!raw) return null;
    try {
      const parsed = objectStateSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}
