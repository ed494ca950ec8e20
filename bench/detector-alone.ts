/**
 * The detector and nothing else, for `npm run bench -- alerts`: the same wiring as the worker's
 * (src/app/alerts.ts: the watch, /metrics, the leader lease and incidents in Redis, the Slack
 * publisher) without the diagnosis queue, the HTTP server or the Slack app. A diagnosis an
 * incident asks for is only acknowledged. Bundled by the bench and run with plain node, so that
 * its memory is the detector's, not a TypeScript loader's. Reads the worker's environment; prints
 * its heap on SIGUSR2. With DETECTOR_IDLE=1 it loads and connects the same and starts no detector:
 * the idle twin whose memory is Node's and the libraries', not the detector's.
 */
import { Redis } from 'ioredis';
import { createIncidentService, startDetector } from '../src/app/alerts.js';
import { loadBotConfig } from '../src/config/bot.js';
import { logger } from '../src/log.js';
import type { DiagnosisProducer } from '../src/queue/producer.js';
import { createWebClient, SlackPoster } from '../src/slack/poster.js';

const config = loadBotConfig(process.env, 'worker');
const redis = new Redis(config.redisUrl);
const poster = new SlackPoster(
  createWebClient({ token: process.env.SLACK_BOT_TOKEN ?? '', slackApiUrl: config.slackApiUrl, retries: 1 }),
  logger,
);
let asked = 0;
const producer = {
  enqueue: async () => ({ jobId: `bench-${++asked}`, outcome: 'queued' }),
} as unknown as DiagnosisProducer;
const incidents = createIncidentService(config, redis, poster, producer, logger);
if (!incidents) throw new Error('ALERT_CHANNEL is not set');
const idle = process.env.DETECTOR_IDLE === '1';
const detector = idle ? null : startDetector(config, process.env, redis, incidents, logger);
if (!idle && !detector) throw new Error('no cluster to watch');
process.on('SIGUSR2', () => {
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ heapUsed: m.heapUsed, rss: m.rss })}\n`);
});
process.on('SIGTERM', () => {
  void (detector?.stop() ?? Promise.resolve()).then(() => {
    redis.disconnect();
    process.exit(0);
  });
});
process.stdout.write('ready\n');
