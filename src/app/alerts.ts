/**
 * Alerts put together: the incident service (any role that posts or answers clicks) and the
 * detector (worker role), which runs in whichever worker holds the leader lease.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { runDetectorWhileLeader } from '../alerts/detector.js';
import { ALERT_REQUESTER } from '../alerts/incident.js';
import { IncidentService } from '../alerts/incidents.js';
import type { BotConfig } from '../config/bot.js';
import { loadRancherConfig } from '../config/rancher.js';
import { ChannelPacer } from '../queue/channel-pacer.js';
import { RedisIncidentStore } from '../queue/incident-store.js';
import { RedisLease } from '../queue/lease.js';
import type { DiagnosisProducer } from '../queue/producer.js';
import { createAlertSources } from '../rancher/alert-sources.js';
import { countWatchedObjects } from '../alerts/watched-objects.js';
import { SlackAlertPublisher } from '../slack/alert-publisher.js';
import type { SlackPoster } from '../slack/poster.js';
import type { ReportDecisions } from '../slack/render/decision-view.js';
import type { DiagnosisReport } from '../diagnosis/types.js';

/** Fires are gathered this long, so that a burst of loops becomes one summary. */
const GATHER_MS = 1000;

export function createIncidentService(
  config: BotConfig,
  redis: Redis,
  poster: SlackPoster,
  producer: DiagnosisProducer,
  log: Logger,
  decisionsFor?: (report: DiagnosisReport) => Promise<ReportDecisions>,
): IncidentService | null {
  const channel = config.alertChannel;
  if (!channel) return null;
  const onError = (what: string, err: unknown) =>
    log.error({ what, err: String(err) }, 'alerts: step failed');
  const pacer = new ChannelPacer(redis, config.queuePrefix, config.alerts.postGapMs);
  return new IncidentService({
    store: new RedisIncidentStore(redis, {
      prefix: config.queuePrefix,
      retentionSeconds: config.resultRetentionSeconds,
    }),
    publisher: new SlackAlertPublisher({
      poster,
      channel,
      pace: (c) => pacer.wait(c),
      ...(decisionsFor ? { decisionsFor } : {}),
    }),
    diagnoses: {
      async request(clusterId) {
        const outcome = await producer.enqueue(
          {
            v: 1,
            clusterId,
            clusterName: null,
            sinceSeconds: null,
            watchSeconds: config.alerts.diagnosisWatchSeconds,
            channelId: channel,
            requestedBy: ALERT_REQUESTER,
            requestedAt: new Date().toISOString(),
          },
          10_000,
        );
        return { jobId: outcome.jobId, queued: outcome.outcome === 'queued' };
      },
    },
    clock: { now: Date.now, later: (ms, fn) => setTimeout(fn, ms).unref() },
    summaryAt: config.alerts.summaryAt,
    gatherMs: GATHER_MS,
    renewal: {
      approvalTtlMs: config.approvalTtlSeconds * 1000,
      beforeMs: config.alerts.renewBeforeSeconds * 1000,
    },
    onError,
  });
}

/**
 * Looks for open incidents whose plans are about to expire, in every worker: the report that
 * made them schedules the renewal in the process it reached, and this sweep takes over when that
 * process is gone. A quarter of ALERT_RENEW_BEFORE apart, at most a minute.
 */
export function startRenewals(config: BotConfig, incidents: IncidentService, log: Logger): { stop(): void } {
  const everyMs = Math.max(1000, Math.min(60_000, (config.alerts.renewBeforeSeconds * 1000) / 4));
  const timer = setInterval(() => {
    incidents
      .renewDue()
      .catch((err: unknown) => log.warn({ err: String(err) }, 'alerts: plans renewal failed'));
  }, everyMs).unref();
  return { stop: () => clearInterval(timer) };
}

export interface RunningDetector {
  stop(): Promise<void>;
}

/** The detector's state, for the metrics. */
export interface DetectorObserver {
  leader(leading: boolean): void;
  objectsWatched(objects: number): void;
}

/** Starts the detector loop (it detects only while it holds the lease); null without a cluster to watch. */
export function startDetector(
  config: BotConfig,
  env: Record<string, string | undefined>,
  redis: Redis,
  incidents: IncidentService,
  log: Logger,
  observer?: DetectorObserver,
): RunningDetector | null {
  let sources;
  try {
    const kubeconfig = env.KUBECONFIG?.trim();
    sources = createAlertSources(loadRancherConfig(env, kubeconfig ? { kubeconfigPath: kubeconfig } : {}));
  } catch (err) {
    log.warn({ err: String(err) }, 'alerts: no local cluster to watch, the detector does not run');
    return null;
  }
  const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const abort = new AbortController();
  const running = runDetectorWhileLeader(
    {
      source: observer
        ? countWatchedObjects(sources.nodeWrites, (n) => observer.objectsWatched(n))
        : sources.nodeWrites,
      metrics: sources.apiserverMetrics,
      incidents,
      lease: new RedisLease(redis, `${config.queuePrefix}:doctor:alerts:leader`, holder),
      clock: {
        now: Date.now,
        sleep: (ms, signal) =>
          new Promise((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal.removeEventListener('abort', done);
              resolve();
            };
            const timer = setTimeout(done, ms);
            signal.addEventListener('abort', done, { once: true });
          }),
      },
      settings: config.alerts,
      onError: (what, err) => log.warn({ what, err: String(err) }, 'alerts: detector step failed'),
      onLeader: (leading) => {
        observer?.leader(leading);
        log.info({ holder }, leading ? 'alerts: this process runs the detector' : 'alerts: detector stopped');
      },
    },
    abort.signal,
  );
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
