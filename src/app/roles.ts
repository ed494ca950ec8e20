/**
 * The long-running roles put together. The queue, Slack and the cluster access meet here and
 * nowhere else, so that each of them can run without the others.
 */
import { loadBotConfig, type BotConfig, type BotRole } from '../config/bot.js';
import { roleLogger } from '../log.js';
import { startClusterRefresh } from '../queue/cluster-refresh.js';
import { JobMessageStore } from '../queue/message-store.js';
import { PlanStore } from '../queue/plan-store.js';
import { DiagnosisProducer } from '../queue/producer.js';
import type { Redis } from 'ioredis';
import { queueDepth } from '../queue/queue-depth.js';
import { countSlackCalls } from '../slack/web-client-metrics.js';
import {
  createProducerConnection,
  createWorkerConnection,
  isReady,
  waitReady,
  watchRedisOutage,
} from '../queue/redis.js';
import { startDiagnosisWorker } from '../queue/worker.js';
import { AuditLog } from '../queue/audit-log.js';
import { DecisionStore } from '../queue/decision-store.js';
import { RemediationQueue } from '../queue/remediation-queue.js';
import { startRemediationWorker } from '../queue/remediation-worker.js';
import { ReportStore } from '../queue/report-store.js';
import type { RemediationExecutor } from '../remediation/approval/executor.js';
import { ObjectViews, SlackRemediationReporter } from '../slack/object-views.js';
import { buttonSettings } from '../slack/app.js';
import { alertmanagerWebhook } from '../server/alertmanager-webhook.js';
import { startHttpServer } from '../server/http.js';
import type { IncidentService, IncidentSink } from '../alerts/incidents.js';
import { createMetrics } from '../server/metrics.js';
import { createSlackBot } from '../slack/app.js';
import { SlackJobReporter } from '../slack/job-reporter.js';
import { SlackPoster, createWebClient } from '../slack/poster.js';
import type { SlackTokenRefusedError } from '../slack/slack-auth.js';
import { EXIT } from '../cli/exit-codes.js';
import { lazyRegistrationReader, loadDiagnosisEngine, type DiagnosisEngine } from './engine.js';
import { createIncidentService, startDetector, startRenewals } from './alerts.js';
import { AlertJobReporter } from '../slack/alert-job-reporter.js';

const REDIS_WAIT_AT_START_MS = 5000;

/** Until a cluster executor is handed in, a decided fix is recorded as failed, saying why. */
const NO_EXECUTOR: RemediationExecutor = {
  applyPatch: () =>
    Promise.resolve({ outcome: 'failed', message: 'this worker has no way to write to clusters' }),
  verify: () => Promise.resolve({ outcome: 'failed', message: 'this worker has no way to read clusters' }),
};

/**
 * Past the grace period, how long a shutdown may take to hand jobs back and close connections
 * before the process stops anyway. Those steps wait on Redis, and with Redis unreachable they
 * would wait until it comes back; a job not handed back is picked up once its lock expires.
 */
export function shutdownMarginMs(graceMs: number): number {
  return Math.min(5000, Math.max(1000, Math.round(graceMs / 5)));
}

export interface RunningRoles {
  port: number;
  /** Where /metrics and the health endpoints answer: `port` unless METRICS_PORT splits them. */
  metricsPort: number;
  /** Resolves if Slack refuses a token while running: the process cannot work until it is changed. */
  failed: Promise<SlackTokenRefusedError>;
  /**
   * Stops taking work, lets running jobs finish within the grace period, closes connections; by
   * the grace period plus shutdownMarginMs at most. False when that deadline cut it short.
   */
  shutdown(): Promise<boolean>;
}

/**
 * Starts the bot and/or the worker. Exported so tests can run a role in-process with a stand-in
 * diagnosis engine; the CLI passes none and gets the real one.
 */
export async function startRoles(
  role: BotRole,
  env: Record<string, string | undefined>,
  engine?: DiagnosisEngine,
  executor?: RemediationExecutor,
): Promise<RunningRoles> {
  const config: BotConfig = loadBotConfig(env, role);
  const log = roleLogger(role);
  const metrics = createMetrics();
  // Decisions, reports and their index outlive the plans, so a closed request stays closed.
  const keepSeconds = Math.max(config.planTtlSeconds, config.resultRetentionSeconds);
  const stores = (redis: Redis) => ({
    decisions: new DecisionStore(redis, config.queuePrefix, keepSeconds),
    reports: new ReportStore(redis, config.queuePrefix, keepSeconds),
    audit: new AuditLog(redis, config.queuePrefix, log.child({ component: 'audit' }), {
      retentionSeconds: config.auditRetentionSeconds,
      maxEntries: config.auditMaxEntries,
    }),
    remediation: new RemediationQueue(redis, {
      prefix: config.queuePrefix,
      retentionSeconds: config.resultRetentionSeconds,
    }),
  });
  // Run in order: the HTTP server, then the bot (so no job is enqueued mid-shutdown), then the worker.
  const closers: { what: string; close: () => Promise<unknown> }[] = [];
  let runningJobs = (): string[] => [];
  const runsBot = role !== 'worker';
  const runsWorker = role !== 'bot';
  const unfinished = new Set<string>();
  const closeAll = async () => {
    for (const { what } of closers) unfinished.add(what);
    for (const { what, close } of closers) {
      await close().catch((err) => log.error({ err: String(err), what }, 'shutdown step failed'));
      unfinished.delete(what);
    }
  };
  // What had started (Redis connections, the worker) would keep a process that cannot work alive.
  const failStart = async (err: unknown): Promise<never> => {
    await closeAll();
    throw err;
  };

  let slackListener: Parameters<typeof startHttpServer>[0]['slack'];
  const internalRoutes: NonNullable<Parameters<typeof startHttpServer>[0]['internal']> = [];
  let alertSink: IncidentSink | null = null;
  const notReady: (() => string | null)[] = [];
  let refused: SlackTokenRefusedError | null = null;
  let reportFailure: (err: SlackTokenRefusedError) => void = () => undefined;
  const failed = new Promise<SlackTokenRefusedError>((resolve) => (reportFailure = resolve));
  notReady.push(() => (refused ? `stopping: ${refused.message}` : null));
  let workerEngine: DiagnosisEngine | null = null;
  if (runsWorker) {
    const realEngine =
      engine ??
      loadDiagnosisEngine(
        env,
        { verifyWindowSeconds: config.verifyWindowSeconds, drain: { ...config.drain, maxAttempts: 10 } },
        (outcome) => metrics.kubernetesRequests.inc({ outcome }),
      );
    workerEngine = realEngine;
    const connection = createWorkerConnection(config.redisUrl);
    const poster = new SlackPoster(
      countSlackCalls(
        createWebClient({
          token: config.slackBotToken,
          slackApiUrl: config.slackApiUrl,
          retries: config.slackRetries,
        }),
        metrics,
      ),
      log.child({ component: 'slack' }),
    );
    const workerStores = stores(connection);
    const outage = watchRedisOutage(connection, log);
    const jobMessages = new JobMessageStore(connection, config.queuePrefix, config.resultRetentionSeconds);
    let workerIncidents: IncidentService | null = null;
    const views = new ObjectViews({
      reports: workerStores.reports,
      decisions: workerStores.decisions,
      poster,
      settings: buttonSettings(config),
      log,
      alsoShownIn: async (object) => workerIncidents?.refreshObject(object),
    });
    const jobReporter = new SlackJobReporter({
      poster,
      messages: jobMessages,
      progressThrottleMs: config.progressThrottleMs,
      // The renderer (a native module among it) is loaded by the first report with a loop.
      chart: async (report) => (await import('../chart/loop-chart-png.js')).reportChartPng(report),
      decisionsFor: (report) => views.decisionsFor(report),
    });
    // Alerts: incidents ask for diagnoses through a producer of their own, and one worker detects.
    const alertRedis = config.alertChannel ? createProducerConnection(config.redisUrl) : null;
    const alertProducer = alertRedis
      ? new DiagnosisProducer(alertRedis, {
          prefix: config.queuePrefix,
          attempts: config.jobAttempts,
          retentionSeconds: config.resultRetentionSeconds,
        })
      : null;
    const incidents = (workerIncidents =
      alertProducer &&
      createIncidentService(
        config,
        connection,
        poster,
        alertProducer,
        log.child({ component: 'alerts' }),
        (report) => views.decisionsFor(report),
      ));
    const renewals = incidents ? startRenewals(config, incidents, log.child({ component: 'alerts' })) : null;
    if (incidents) metrics.observeIncidents(async () => (await incidents.list()).open.length);
    const detector = incidents
      ? startDetector(config, env, connection, incidents, log.child({ component: 'alerts' }), {
          leader: (leading) => metrics.detectorLeader.set(leading ? 1 : 0),
          objectsWatched: (objects) => metrics.detectorObjectsWatched.set(objects),
        })
      : null;
    const worker = startDiagnosisWorker({
      connection,
      prefix: config.queuePrefix,
      reporter: incidents
        ? new AlertJobReporter(jobReporter, incidents, (what, err) =>
            log.warn({ what, err: String(err) }, 'alerts: incident update failed'),
          )
        : jobReporter,
      reports: workerStores.reports,
      audit: workerStores.audit,
      outage,
      diagnose: realEngine.diagnose,
      log,
      concurrency: config.workerConcurrency,
      lockDurationMs: config.lockDurationMs,
      stalledIntervalMs: config.stalledIntervalMs,
      planTtlSeconds: config.planTtlSeconds,
      metrics,
    });
    const refresh = startClusterRefresh({
      redis: connection,
      prefix: config.queuePrefix,
      listClusters: realEngine.listClusters,
      intervalSeconds: config.clusterRefreshSeconds,
      log,
    });
    const fixer = startRemediationWorker({
      connection,
      prefix: config.queuePrefix,
      ...workerStores,
      queue: workerStores.remediation,
      plans: new PlanStore(connection, config.queuePrefix, config.planTtlSeconds),
      // Fixes go through the engine's cluster access unless a test hands in its own executor.
      executor: executor ?? realEngine.executor ?? NO_EXECUTOR,
      reporter: new SlackRemediationReporter(
        views,
        jobMessages,
        workerStores.reports,
        poster,
        log,
        async (object, note) => workerIncidents?.remediated(object, note),
      ),
      log: log.child({ component: 'remediation' }),
      verifyAfterSeconds: config.verifyAfterSeconds,
      outage,
      journalTtlSeconds: keepSeconds,
      lockDurationMs: config.lockDurationMs,
      stalledIntervalMs: config.stalledIntervalMs,
      metrics,
    });
    closers.push({
      what: 'worker',
      close: async () => {
        refresh.stop();
        await fixer.close();
        await workerStores.remediation.close();
        renewals?.stop();
        await detector?.stop();
        await alertProducer?.close().catch(() => undefined);
        alertRedis?.disconnect();
        const { handedBack } = await worker.close(config.shutdownGraceMs);
        if (handedBack.length) log.warn({ handedBack }, 'jobs handed back to the queue at shutdown');
        connection.disconnect();
      },
    });
    runningJobs = worker.runningJobs;
    notReady.push(() => (isReady(connection) ? null : 'Redis does not answer (worker)'));
  }
  if (runsBot) {
    const redis = createProducerConnection(config.redisUrl);
    watchRedisOutage(redis, log);
    const producer = new DiagnosisProducer(redis, {
      prefix: config.queuePrefix,
      attempts: config.jobAttempts,
      retentionSeconds: config.resultRetentionSeconds,
    });
    const botStores = stores(redis);
    metrics.observeQueue(() => queueDepth(producer.queue));
    closers.unshift({
      what: 'bot redis',
      close: async () => {
        await producer.close().catch(() => undefined);
        await botStores.remediation.close().catch(() => undefined);
        redis.disconnect();
      },
    });
    const bot = await createSlackBot({
      config,
      redis,
      producer,
      messages: new JobMessageStore(redis, config.queuePrefix, config.resultRetentionSeconds),
      plans: new PlanStore(redis, config.queuePrefix, config.planTtlSeconds),
      ...botStores,
      log,
      metrics,
      onTokenRefused: (err) => {
        if (refused) return;
        refused = err;
        log.error({ setting: err.setting, slackError: err.slackError }, err.message);
        reportFailure(err);
      },
      // Read from the local cluster when an approver asks: the worker's access when in this process.
      readRegistration:
        (engine ?? workerEngine)?.readRegistration ?? (engine ? undefined : lazyRegistrationReader(env)),
      incidents: (poster, decisionsFor) => {
        const service = createIncidentService(
          config,
          redis,
          poster,
          producer,
          log.child({ component: 'alerts' }),
          decisionsFor,
        );
        if (service) metrics.observeIncidents(async () => (await service.list()).open.length);
        return (alertSink = service);
      },
    }).catch(failStart);
    // Alertmanager's webhook hands its alerts to the same incidents, on the internal port only.
    if (config.alertmanagerToken && alertSink) {
      internalRoutes.push({
        path: '/alertmanager',
        route: alertmanagerWebhook({
          token: config.alertmanagerToken,
          redis,
          prefix: config.queuePrefix,
          incidents: alertSink,
          log: log.child({ component: 'alertmanager' }),
        }),
      });
    } else if (config.alertmanagerToken) {
      log.warn('ALERTMANAGER_TOKEN is set but ALERT_CHANNEL is not: the Alertmanager webhook is off');
    }
    // The bot stops first (closers run in order), so no job is enqueued mid-shutdown.
    closers.unshift({ what: 'bot', close: () => bot.stop() });
    await bot.start().catch(failStart);
    if (bot.receiver) {
      slackListener = {
        path: '/slack/events',
        listener: bot.receiver.requestListener,
        maxFutureSkewSeconds: config.maxRequestSkewSeconds,
        requestStarted: bot.requestStarted,
      };
    }
    notReady.push(
      () => (isReady(redis) ? null : 'Redis does not answer'),
      () => bot.notReady(),
    );
    // Slack is let in once Redis answers, so the first commands after a start are not told the
    // queue is unreachable while it is only connecting. Redis really down: start anyway; commands
    // are then answered that it is down, and /readyz says so.
    await waitReady(redis, REDIS_WAIT_AT_START_MS).catch(() =>
      log.warn(
        { redis: redisHost(config.redisUrl) },
        'Redis does not answer yet: slash commands will say so until it does',
      ),
    );
  }

  const server = await startHttpServer({
    port: config.port,
    opsPort: config.metricsPort,
    log,
    registry: metrics.registry,
    refused: (reason) => metrics.httpRefused.inc({ reason }),
    ready: () => notReady.map((check) => check()).find((missing) => missing !== null) ?? null,
    slack: slackListener,
    internal: internalRoutes,
  }).catch(failStart);
  closers.unshift({ what: 'http server', close: () => server.close() });
  log.info(
    { port: server.port, metricsPort: server.opsPort, socketMode: config.socketMode },
    'rancher-doctor started',
  );

  const shutdown = async (): Promise<boolean> => {
    const deadlineMs = config.shutdownGraceMs + shutdownMarginMs(config.shutdownGraceMs);
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([
      closeAll().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!clean) {
      log.error(
        { unfinished: [...unfinished], notHandedBack: runningJobs(), deadlineMs },
        'shutdown deadline passed',
      );
    }
    log.info({ clean }, 'rancher-doctor stopped');
    return clean;
  };
  let stopping: Promise<boolean> | null = null;
  return {
    port: server.port,
    metricsPort: server.opsPort,
    failed,
    shutdown: () => (stopping ??= shutdown()),
  };
}

/**
 * Runs a role until SIGTERM or SIGINT, then shuts down within the grace period. Exported for the
 * tests that run a worker in a child process with a stand-in engine.
 */
export async function runUntilSignal(
  role: BotRole,
  env: Record<string, string | undefined>,
  engine?: DiagnosisEngine,
  executor?: RemediationExecutor,
): Promise<void> {
  const running = await startRoles(role, env, engine, executor);
  const code = await new Promise<number>((resolve) => {
    const stop = (code: number) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A shutdown the deadline cut short exits 1, whatever started it.
      void running.shutdown().then((clean) => resolve(clean ? code : 1));
    };
    const onSignal = () => stop(EXIT.clean);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void running.failed.then(() => stop(EXIT.usage));
  });
  if (code !== EXIT.clean) process.exitCode = code;
  // Stray handles (keep-alive sockets, a connection still retrying after the deadline) must not
  // keep a stopped process alive.
  setTimeout(() => process.exit(code), 1000).unref();
}

export async function runRoles(role: BotRole): Promise<void> {
  await runUntilSignal(role, process.env);
}

/** The URL's host and port: its password, if any, never reaches a log line. */
function redisHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparsable REDIS_URL';
  }
}
