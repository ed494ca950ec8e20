/**
 * The detector on its own, against the stand-in apiserver over real HTTP: the real sources
 * (watch, relist, /metrics), the real incident service on Redis and the Slack publisher talking to
 * the stand-in Web API. Diagnoses are only recorded (no queue, no worker). The retry clock is the
 * test's: a fake one to count waits, or the real one with a short backoff.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { detect, type DetectorSettings } from '../../src/alerts/detector.js';
import { IncidentService } from '../../src/alerts/incidents.js';
import { loadRancherConfig } from '../../src/config/rancher.js';
import { RedisIncidentStore } from '../../src/queue/incident-store.js';
import { createAlertSources, type AlertSourceOptions } from '../../src/rancher/alert-sources.js';
import { SlackAlertPublisher } from '../../src/slack/alert-publisher.js';
import { createWebClient, SlackPoster } from '../../src/slack/poster.js';
import { startStandin, type Standin } from '../standin/index.js';
import { SlackApiStandin } from '../support/slack-api.js';
import { ALERT_CHANNEL } from './support.js';
import { deleteKeys } from '../support/redis.js';

export const FAST_DETECTOR: DetectorSettings = {
  forSeconds: 1,
  windowSeconds: 2,
  lostContactSeconds: 1,
  leaseSeconds: 30,
  intervalSeconds: 0.2,
  resolveAfterSeconds: 1,
};

export interface DetectorGround {
  standin: Standin;
  slack: SlackApiStandin;
  incidents: IncidentService;
  store: RedisIncidentStore;
  /** Clusters a diagnosis was asked for (null: all). */
  diagnoses: (string | null)[];
  /** Intervals the detector has judged so far. */
  intervals(): number;
  /** Waits until the detector has judged `n` more intervals than now. */
  moreIntervals(n: number, timeoutMs?: number): Promise<void>;
  start(options?: {
    sources?: AlertSourceOptions;
    settings?: Partial<DetectorSettings>;
    watch?: boolean;
  }): void;
  close(): Promise<void>;
}

let counter = 0;

export async function detectorGround(prepare?: (standin: Standin) => void): Promise<DetectorGround> {
  const standin = await startStandin({ loopIntervalMs: null });
  prepare?.(standin);
  const slack = await new SlackApiStandin().start();
  const dir = mkdtempSync(join(tmpdir(), 'rd-detector-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfigPath);
  const redis = new Redis('redis://127.0.0.1:6379');
  const prefix = `t-detector-${process.pid}-${++counter}`;
  const store = new RedisIncidentStore(redis, { prefix, retentionSeconds: 3600 });
  const poster = new SlackPoster(
    createWebClient({
      token: 'xoxb-detector',
      slackApiUrl: slack.url.endsWith('/') ? slack.url : `${slack.url}/`,
      retries: 2,
    }),
    pino({ level: 'silent' }),
  );
  const diagnoses: (string | null)[] = [];
  const incidents = new IncidentService({
    store,
    publisher: new SlackAlertPublisher({ poster, channel: ALERT_CHANNEL, pace: async () => 0 }),
    diagnoses: {
      async request(clusterId) {
        diagnoses.push(clusterId);
        return { jobId: `job-${diagnoses.length}`, queued: true };
      },
    },
    clock: { now: Date.now, later: (ms, fn) => setTimeout(fn, ms).unref() },
    summaryAt: 5,
    gatherMs: 20,
  });
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  let intervals = 0;
  const intervalWaiters = new Set<() => void>();
  return {
    standin,
    slack,
    incidents,
    store,
    diagnoses,
    intervals: () => intervals,
    moreIntervals(n, timeoutMs = 30000) {
      const target = intervals + n;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fewer than ${n} detector intervals`)), timeoutMs);
        const check = () => {
          if (intervals < target) return;
          clearTimeout(timer);
          intervalWaiters.delete(check);
          resolve();
        };
        intervalWaiters.add(check);
      });
    },
    start(options = {}) {
      const sources = createAlertSources(loadRancherConfig({}, { kubeconfigPath }), options.sources);
      running = detect(
        {
          ...(options.watch === false ? {} : { source: sources.nodeWrites }),
          metrics: sources.apiserverMetrics,
          incidents,
          lease: { hold: async () => true, release: async () => undefined },
          clock: {
            now: Date.now,
            sleep: (ms, signal) =>
              new Promise<void>((resolve) => {
                const done = () => {
                  clearTimeout(timer);
                  signal.removeEventListener('abort', done);
                  resolve();
                };
                const timer = setTimeout(() => {
                  done();
                  intervals++;
                  for (const w of [...intervalWaiters]) w();
                }, ms);
                signal.addEventListener('abort', done, { once: true });
              }),
          },
          settings: { ...FAST_DETECTOR, ...options.settings },
        },
        abort.signal,
      );
    },
    async close() {
      abort.abort();
      await running;
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await slack.close();
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
