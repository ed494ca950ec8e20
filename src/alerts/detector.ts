/**
 * The detector: counts node object writes from a continuous watch, judges them every interval
 * with the loop rule, and turns what lasts into incidents. It runs only while this process holds
 * the leader lease, so that however many workers run, one detector counts and one alert is sent.
 */
import { CHURN_LOOP_RULE, isLooping, typicalRate, type LoopRuleSettings } from '../diagnosis/loop-rule.js';
import { formatBytes } from '../text/bytes.js';
import { humanSpan } from '../text/duration.js';
import { formatRate } from '../text/rate.js';
import { ApiserverRate, type ApiserverMetrics, type ApiserverRateNow } from './apiserver-rate.js';
import { CLUSTER_SIGNAL_FINGERPRINT, ClusterSignal } from './cluster-signal.js';
import { splitObjectKey, watchFingerprint, type Incident } from './incident.js';
import type { FireInput, IncidentService } from './incidents.js';
import { LoopTracker } from './loop-tracker.js';
import { WriteWindow } from './write-window.js';

/** A continuous watch of every cluster's node objects; `run` ends only when `signal` aborts. */
export interface NodeWriteSource {
  run(
    handlers: {
      /** The object `<cluster>/<node>` was written (created or modified). */
      write(key: string): void;
      deleted(key: string): void;
      /** Every object a (re)list found: the watch covers these from now on. */
      listed?(keys: string[]): void;
      /** The apiserver answered a request of the watch (true), or failed one (false). */
      contact(ok: boolean): void;
    },
    signal: AbortSignal,
  ): Promise<void>;
}

export type { ApiserverMetrics };

export interface ApiserverMetricsSource {
  read(signal: AbortSignal): Promise<ApiserverMetrics>;
}

export interface LeaderLease {
  hold(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

export interface DetectorClock {
  now(): number;
  /** Resolves after ms, or at once when the signal aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface DetectorSettings {
  forSeconds: number;
  windowSeconds: number;
  lostContactSeconds: number;
  leaseSeconds: number;
  intervalSeconds: number;
  resolveAfterSeconds: number;
  rule?: LoopRuleSettings;
}

export interface DetectorDeps {
  /** Absent: no watch (the /metrics signal alone). */
  source?: NodeWriteSource;
  metrics?: ApiserverMetricsSource;
  incidents: IncidentService;
  lease: LeaderLease;
  clock: DetectorClock;
  settings: DetectorSettings;
  onError?: (what: string, err: unknown) => void;
  /** Told when this process starts or stops leading (logs, tests). */
  onLeader?: (leading: boolean) => void;
}

/** How the lease is timed: a dead leader's key lapses and is taken well within `leaseSeconds`. */
export function leaseTiming(leaseSeconds: number) {
  const leaseMs = leaseSeconds * 1000;
  return {
    ttlMs: Math.round((leaseMs * 2) / 3),
    renewMs: Math.round(leaseMs / 4),
    tryMs: Math.round(leaseMs / 10),
  };
}

/** Runs until `signal` aborts: waits for the lease, detects while it holds it, lets it go at the end. */
export async function runDetectorWhileLeader(deps: DetectorDeps, signal: AbortSignal): Promise<void> {
  const { lease, clock, settings } = deps;
  const timing = leaseTiming(settings.leaseSeconds);
  while (!signal.aborted) {
    const held = await lease.hold(timing.ttlMs).catch((err: unknown) => {
      deps.onError?.('lease', err);
      return false;
    });
    if (!held) {
      await clock.sleep(timing.tryMs, signal);
      continue;
    }
    deps.onLeader?.(true);
    const leading = new AbortController();
    const stop = () => leading.abort();
    signal.addEventListener('abort', stop, { once: true });
    const detecting = detect(deps, leading.signal).catch((err: unknown) => deps.onError?.('detector', err));
    // Renews until a renewal fails (another process took it, or Redis went away too long).
    while (!leading.signal.aborted) {
      await clock.sleep(timing.renewMs, leading.signal);
      if (leading.signal.aborted) break;
      const still = await lease.hold(timing.ttlMs).catch(() => false);
      if (!still) leading.abort();
    }
    signal.removeEventListener('abort', stop);
    await detecting;
    deps.onLeader?.(false);
  }
  await lease.release().catch(() => undefined);
}

/** The detector proper, for as long as `signal` lets it run. */
export async function detect(deps: DetectorDeps, signal: AbortSignal): Promise<void> {
  const { clock, settings, incidents } = deps;
  const rule = settings.rule ?? CHURN_LOOP_RULE;
  const window = new WriteWindow(settings.windowSeconds, clock.now());
  const timing = { forMs: settings.forSeconds * 1000, resolveAfterMs: settings.resolveAfterSeconds * 1000 };
  const tracker = new LoopTracker({ rule, ...timing });
  const apiserver = new ApiserverRate(settings.windowSeconds * 1000);
  const cluster = new ClusterSignal({ rule, ...timing });
  // Incidents this detector's predecessor opened: it resolves them when their loop has ended.
  const adopted = new Map<string, Incident>();
  for (const i of await incidents.list().then((l) => l.open)) {
    if (i.fingerprint === CLUSTER_SIGNAL_FINGERPRINT)
      cluster.adopt(Date.parse(i.startsAt) || clock.now(), i.peakPerMinute ?? 0);
    if (i.source !== 'watch' || !i.objectKey) continue;
    tracker.adopt(i.objectKey, clock.now(), i.peakPerMinute ?? 0);
    adopted.set(i.objectKey, i);
  }
  let contactLostAt: number | null = null;
  let contactTold = false;
  /** The watch answers (its list or its watch did): its counts are evidence. */
  let contactOk = false;
  /** What the watch last measured of the objects that do not loop, all together. */
  let usualPerMinute = 0;
  let memory: number | null = null;
  const watching = deps.source?.run(
    {
      write: (key) => window.add(key, clock.now()),
      deleted: (key) => window.forget(key),
      contact: (ok) => {
        contactOk = ok;
        if (ok) {
          contactLostAt = null;
          contactTold = false;
        } else contactLostAt ??= clock.now();
      },
    },
    signal,
  );
  watching?.catch((err: unknown) => deps.onError?.('watch', err));
  let lastRates: { key: string; writesPerMinute: number }[] = [];
  while (!signal.aborted) {
    await clock.sleep(settings.intervalSeconds * 1000, signal);
    if (signal.aborted) break;
    const now = clock.now();
    const read = deps.metrics ? await deps.metrics.read(signal).catch(() => null) : null;
    if (read) {
      apiserver.add({ ...read, at: now });
      memory = read.residentMemoryBytes ?? memory;
    }
    if (contactLostAt !== null && !contactTold && now - contactLostAt >= settings.lostContactSeconds * 1000) {
      contactTold = true;
      await incidents
        .lostContact({
          since: new Date(contactLostAt).toISOString(),
          lastRates,
          apiserverMemoryBytes: memory,
        })
        .catch((err: unknown) => deps.onError?.('lost contact', err));
    }
    // Without the watch the counts say nothing: an incident must not resolve for want of them.
    const watchEvidence = deps.source !== undefined && contactOk && contactLostAt === null;
    try {
      if (watchEvidence) {
        const rates = window.rates(now);
        lastRates = [...rates]
          .sort((a, b) => b.writesPerMinute - a.writesPerMinute)
          .slice(0, 5)
          .map((r) => ({ key: r.key, writesPerMinute: Math.round(r.writesPerMinute) }));
        const typical = typicalRate(
          rates.map((r) => r.writesPerMinute),
          rule,
        );
        usualPerMinute = rates
          .filter((r) => !isLooping(r, typical, rule))
          .reduce((sum, r) => sum + r.writesPerMinute, 0);
        const byKey = new Map(rates.map((r) => [r.key, r]));
        for (const event of tracker.judge(now, rates)) {
          const fire = event.type === 'resolve' ? fireInput(event.key, now) : null;
          if (fire) await incidents.resolve(fire.fingerprint, new Date(now).toISOString());
        }
        // While the apiserver-wide incident is open it stands for the loop: no second message.
        if (cluster.open === null)
          for (const { key, since } of tracker.firing) {
            const rate = byKey.get(key);
            const fire = fireInput(key, since);
            if (rate && fire) await incidents.observe(adopted.get(key) ?? fire, rate.writesPerMinute);
          }
      }
      // Judged on this interval's read only: an old rate said again is no new evidence.
      const measured = read ? apiserver.now() : { ...apiserver.now(), perMinute: null };
      const event = cluster.judge(now, {
        ...measured,
        usualPerMinute,
        watchSpeaks: watchEvidence || tracker.firing.length > 0,
      });
      if (event?.type === 'resolve')
        await incidents.resolve(CLUSTER_SIGNAL_FINGERPRINT, new Date(now).toISOString());
      // Opens it the first time (the summary is what was seen then), then keeps its rate.
      if (cluster.open !== null && measured.perMinute !== null)
        await incidents.observe(
          clusterFireInput(cluster.open, measured, usualPerMinute, deps.source ? contactLostAt : null),
          measured.perMinute,
        );
      await incidents.flush();
    } catch (err) {
      deps.onError?.('incidents', err);
    }
  }
  await watching?.catch(() => undefined);
}

/**
 * The apiserver-wide incident: what /metrics showed when it opened (the rate, the usual, the
 * apiserver's memory and its growth over the window) and why the watch could not tell the object.
 */
function clusterFireInput(
  since: number,
  m: ApiserverRateNow,
  usualPerMinute: number,
  watchLostAt: number | null,
): FireInput {
  const memory =
    m.memoryBytes === null
      ? ''
      : `; its memory ${formatBytes(m.memoryBytes)}${
          m.memoryGrowthBytes !== null
            ? `, ${m.memoryGrowthBytes >= 0 ? '+' : '-'}${formatBytes(Math.abs(m.memoryGrowthBytes))} in ${humanSpan(Math.round(m.spanMs / 1000))}`
            : ''
        }`;
  const why =
    watchLostAt === null
      ? 'no node watch to name the object'
      : `the node watch has had no answer since ${new Date(watchLostAt).toISOString().slice(11, 19)} UTC`;
  return {
    fingerprint: CLUSTER_SIGNAL_FINGERPRINT,
    clusterId: null,
    objectKey: null,
    source: 'metrics',
    summary: `node objects of every cluster, by the local apiserver's /metrics (usually ${formatRate(usualPerMinute)} writes a minute to nodes.management.cattle.io${memory}; ${why}: every cluster is diagnosed)`,
    startsAt: new Date(since).toISOString(),
  };
}

function fireInput(key: string, since: number): FireInput | null {
  const ref = splitObjectKey(key);
  if (!ref) return null;
  return {
    fingerprint: watchFingerprint(ref.clusterId, ref.nodeId),
    clusterId: ref.clusterId,
    objectKey: key,
    source: 'watch',
    summary: `node object ${ref.nodeId} of cluster ${ref.clusterId} is rewritten in a loop`,
    startsAt: new Date(since).toISOString(),
  };
}
