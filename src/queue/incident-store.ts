import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DiagnosisOutcome, Incident, Snooze } from '../alerts/incident.js';
import type { IncidentStore } from '../alerts/incidents.js';

const refSchema = z.object({ channel: z.string(), ts: z.string(), permalink: z.string().optional() });
const who = z.object({ userId: z.string(), at: z.string() });

const incidentSchema: z.ZodType<Incident> = z.object({
  v: z.literal(1),
  fingerprint: z.string(),
  clusterId: z.string().nullable(),
  objectKey: z.string().nullable(),
  source: z.enum(['watch', 'metrics', 'alertmanager']),
  summary: z.string(),
  startsAt: z.string(),
  state: z.enum(['pending', 'firing', 'diagnosing', 'diagnosed', 'resolved']),
  message: refSchema.nullable(),
  summaryRoot: refSchema.nullable(),
  writesPerMinute: z.number().nullable(),
  peakPerMinute: z.number().nullable(),
  toldPerMinute: z.number().nullable(),
  ack: who.nullable(),
  dismissed: who.nullable(),
  diagnosis: z
    .object({
      jobId: z.string(),
      state: z.enum(['queued', 'running', 'done', 'failed']),
      error: z.string().optional(),
    })
    .nullable(),
  renewing: z
    .object({ jobId: z.string(), at: z.string(), failed: z.boolean().optional() })
    .nullable()
    .optional(),
  resolvedAt: z.string().nullable(),
  previous: z
    .object({ startsAt: z.string(), resolvedAt: z.string().nullable(), message: refSchema.nullable() })
    .nullable(),
});

const snoozeSchema = z.object({ fingerprint: z.string(), until: z.string(), userId: z.string() });

/** The report crosses Redis as the worker made it; only its envelope is checked here. */
const outcomeSchema = z.object({
  jobId: z.string(),
  clusterId: z.string().nullable(),
  requestedAt: z.string(),
  report: z.object({ findings: z.array(z.unknown()) }).passthrough(),
  plans: z.record(
    z.string(),
    z.object({ patch: z.string().nullable(), drain: z.string().nullable(), dismiss: z.string() }),
  ),
});

export interface IncidentStoreOptions {
  prefix: string;
  /** A resolved incident (and a report shown) is kept this long, to link the next one of its object. */
  retentionSeconds: number;
  /**
   * A lock whose holder died lapses after this long; a live holder renews it every third of it, so
   * that whoever takes a lapsed lock knows its holder is gone, not merely slow (Slack answering 429).
   */
  lockMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;

/** Incidents, snoozes and shown reports in Redis, under the bot's prefix. */
export class RedisIncidentStore implements IncidentStore {
  private readonly k;
  private readonly lockMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly options: IncidentStoreOptions,
  ) {
    const p = `${options.prefix}:doctor:alerts`;
    this.k = {
      incident: (fp: string) => `${p}:incident:${fp}`,
      open: `${p}:open`,
      snooze: (fp: string) => `${p}:snooze:${fp}`,
      snoozes: `${p}:snoozes`,
      lock: (name: string) => `${p}:lock:${name}`,
      once: (key: string) => `${p}:once:${key}`,
      diagnosis: (fp: string) => `${p}:diagnosis:${fp}`,
    };
    this.lockMs = options.lockMs ?? 15_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async get(fingerprint: string): Promise<Incident | null> {
    return parseJson(incidentSchema, await this.redis.get(this.k.incident(fingerprint)));
  }

  async put(incident: Incident): Promise<void> {
    const tx = this.redis.multi();
    if (incident.state === 'resolved') {
      tx.set(
        this.k.incident(incident.fingerprint),
        JSON.stringify(incident),
        'EX',
        this.options.retentionSeconds,
      );
      tx.srem(this.k.open, incident.fingerprint);
    } else {
      tx.set(this.k.incident(incident.fingerprint), JSON.stringify(incident));
      tx.sadd(this.k.open, incident.fingerprint);
    }
    await tx.exec();
  }

  async open(): Promise<Incident[]> {
    const fps = (await this.redis.smembers(this.k.open)).sort();
    if (!fps.length) return [];
    const raw = await this.redis.mget(fps.map((fp) => this.k.incident(fp)));
    return raw
      .map((r) => parseJson(incidentSchema, r))
      .filter((i): i is Incident => i !== null && i.state !== 'resolved')
      .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.fingerprint.localeCompare(b.fingerprint));
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = this.k.lock(name);
    const token = randomBytes(8).toString('hex');
    while ((await this.redis.set(key, token, 'PX', this.lockMs, 'NX')) !== 'OK') await this.sleep(50);
    const renewing = setInterval(
      () => {
        this.redis.eval(RENEW, 1, key, token, String(this.lockMs)).catch(() => undefined);
      },
      Math.max(1, Math.floor(this.lockMs / 3)),
    );
    renewing.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewing);
      await this.redis.eval(RELEASE, 1, key, token);
    }
  }

  async snooze(s: Snooze): Promise<void> {
    const ms = Math.max(1, Date.parse(s.until) - Date.now());
    await this.redis
      .multi()
      .set(this.k.snooze(s.fingerprint), JSON.stringify(s), 'PX', ms)
      .zadd(this.k.snoozes, Date.parse(s.until), s.fingerprint)
      .exec();
  }

  async snoozedUntil(fingerprint: string, now: number): Promise<Snooze | null> {
    const s = parseJson(snoozeSchema, await this.redis.get(this.k.snooze(fingerprint)));
    return s && Date.parse(s.until) > now ? s : null;
  }

  async snoozes(now: number): Promise<Snooze[]> {
    await this.redis.zremrangebyscore(this.k.snoozes, '-inf', String(now));
    const fps = await this.redis.zrange(this.k.snoozes, '0', '-1');
    const all = await Promise.all(fps.map((fp) => this.snoozedUntil(fp, now)));
    return all.filter((s): s is Snooze => s !== null);
  }

  async claimOnce(key: string): Promise<boolean> {
    return (await this.redis.set(this.k.once(key), '1', 'EX', this.options.retentionSeconds, 'NX')) === 'OK';
  }

  async saveDiagnosis(fingerprint: string, outcome: DiagnosisOutcome): Promise<void> {
    await this.redis.set(
      this.k.diagnosis(fingerprint),
      JSON.stringify(outcome),
      'EX',
      this.options.retentionSeconds,
    );
  }

  async getDiagnosis(fingerprint: string): Promise<DiagnosisOutcome | null> {
    return parseJson(
      outcomeSchema,
      await this.redis.get(this.k.diagnosis(fingerprint)),
    ) as DiagnosisOutcome | null;
  }
}

function parseJson<T>(schema: z.ZodType<T>, raw: string | null): T | null {
  if (!raw) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
