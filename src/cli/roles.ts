import { loadBotConfig, type BotConfig, type BotRole } from '../config/bot.js';
import { childLogger } from '../log.js';
import { startClusterRefresh } from '../queue/cluster-refresh.js';
import { lazyRegistrationReader, loadDiagnosisEngine, type DiagnosisEngine } from '../queue/engine.js';
import { JobMessageStore } from '../queue/message-store.js';
import { PlanStore } from '../queue/plan-store.js';
import { DiagnosisProducer } from '../queue/producer.js';
import { createProducerConnection, createWorkerConnection, isReady, waitReady } from '../queue/redis.js';
import { startDiagnosisWorker } from '../queue/worker.js';
import { startHttpServer } from '../server/http.js';
import { createMetrics } from '../server/metrics.js';
import { createSlackBot } from '../slack/app.js';
import { SlackPoster, createWebClient } from '../slack/poster.js';

const REDIS_WAIT_AT_START_MS = 5000;

export interface RunningRoles {
  port: number;
  /** Stops taking work, lets running jobs finish within the grace period, closes connections. */
  shutdown(): Promise<void>;
}

/**
 * Starts the bot and/or the worker. Exported so tests can run a role in-process with a stand-in
 * diagnosis engine; the CLI passes none and gets the real one.
 */
export async function startRoles(
  role: BotRole,
  env: Record<string, string | undefined>,
  engine?: DiagnosisEngine,
): Promise<RunningRoles> {
  const config: BotConfig = loadBotConfig(env, role);
  const log = childLogger(role);
  const metrics = createMetrics();
  const closers: (() => Promise<unknown>)[] = [];
  const runsBot = role !== 'worker';
  const runsWorker = role !== 'bot';

  let slackListener: Parameters<typeof startHttpServer>[0]['slack'];
  let health = () => true;
  let workerEngine: DiagnosisEngine | null = null;
  if (runsWorker) {
    const realEngine = engine ?? loadDiagnosisEngine(env);
    workerEngine = realEngine;
    const connection = createWorkerConnection(config.redisUrl);
    connection.on('error', () => undefined);
    const poster = new SlackPoster(
      createWebClient({
        token: config.slackBotToken,
        slackApiUrl: config.slackApiUrl,
        retries: config.slackRetries,
      }),
      log.child({ component: 'slack' }),
    );
    const worker = startDiagnosisWorker({
      connection,
      prefix: config.queuePrefix,
      poster,
      diagnose: realEngine.diagnose,
      log,
      concurrency: config.workerConcurrency,
      lockDurationMs: config.lockDurationMs,
      stalledIntervalMs: config.stalledIntervalMs,
      progressThrottleMs: config.progressThrottleMs,
      planTtlSeconds: config.planTtlSeconds,
      retentionSeconds: config.resultRetentionSeconds,
      metrics,
    });
    const refresh = startClusterRefresh({
      redis: connection,
      prefix: config.queuePrefix,
      listClusters: realEngine.listClusters,
      intervalSeconds: config.clusterRefreshSeconds,
      log,
    });
    closers.push(async () => {
      refresh.stop();
      const { handedBack } = await worker.close(config.shutdownGraceMs);
      if (handedBack.length) log.warn({ handedBack }, 'jobs handed back to the queue at shutdown');
      connection.disconnect();
    });
    health = () => isReady(connection);
  }
  if (runsBot) {
    const redis = createProducerConnection(config.redisUrl);
    redis.on('error', () => undefined);
    const producer = new DiagnosisProducer(redis, {
      prefix: config.queuePrefix,
      attempts: config.jobAttempts,
      retentionSeconds: config.resultRetentionSeconds,
    });
    const bot = await createSlackBot({
      config,
      redis,
      producer,
      messages: new JobMessageStore(redis, config.queuePrefix, config.resultRetentionSeconds),
      plans: new PlanStore(redis, config.queuePrefix, config.planTtlSeconds),
      log,
      metrics,
      // Read from the local cluster when an approver asks: the worker's access when in this process.
      readRegistration:
        (engine ?? workerEngine)?.readRegistration ?? (engine ? undefined : lazyRegistrationReader(env)),
    });
    await bot.start();
    if (bot.receiver) {
      slackListener = {
        path: '/slack/events',
        listener: bot.receiver.requestListener,
        maxFutureSkewSeconds: config.maxRequestSkewSeconds,
        requestStarted: bot.requestStarted,
      };
    }
    // The bot stops first (in closers order reversed below), so no job is enqueued mid-shutdown.
    closers.unshift(async () => {
      await bot.stop();
      await producer.close().catch(() => undefined);
      redis.disconnect();
    });
    const workerHealth = health;
    health = () => isReady(redis) && workerHealth();
    // Slack is let in once Redis answers, so the first commands after a start are not told the
    // queue is unreachable while it is only connecting. Redis really down: start anyway; commands
    // are then answered that it is down, and /healthz says so.
    await waitReady(redis, REDIS_WAIT_AT_START_MS).catch(() =>
      log.warn(
        { redisUrl: config.redisUrl },
        'Redis does not answer yet: slash commands will say so until it does',
      ),
    );
  }

  const server = await startHttpServer({
    port: config.port,
    registry: metrics.registry,
    healthy: () => health(),
    slack: slackListener,
  });
  closers.unshift(() => server.close());
  log.info({ role, port: server.port, socketMode: config.socketMode }, 'rancher-doctor started');

  let stopping: Promise<void> | null = null;
  return {
    port: server.port,
    shutdown: () =>
      (stopping ??= (async () => {
        for (const close of closers)
          await close().catch((err) => log.error({ err: String(err) }, 'shutdown step failed'));
        log.info({ role }, 'rancher-doctor stopped');
      })()),
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
): Promise<void> {
  const running = await startRoles(role, env, engine);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void running.shutdown().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // Stray handles (keep-alive sockets) must not keep a stopped process alive.
  setTimeout(() => process.exit(0), 1000).unref();
}

export async function runRoles(role: BotRole): Promise<void> {
  await runUntilSignal(role, process.env);
}
