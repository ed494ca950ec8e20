import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStandin, type Standin } from '../test/standin/index.js';
import { SlackApiStandin } from '../test/support/slack-api.js';
import { BotLink, USERS } from './bot-link.js';
import { Channel } from './channel.js';
import type { DemoPaths } from './paths.js';
import { demoRedis, type DemoRedis } from './redis.js';
import { startServe, type RunningServe } from './serve.js';

export const CHANNEL_ID = 'C0DEMO';

export interface DemoOptions {
  paths: DemoPaths;
  scenarioFile: string;
  env: NodeJS.ProcessEnv;
  /** Lines for the person running the demo (what started, the bot's warnings). */
  say: (line: string) => void;
}

export interface RunningDemo {
  channel: Channel;
  link: BotLink;
  standin: Standin;
  redis: DemoRedis;
  prefix: string;
  dir: string;
  logFile: string;
  serve: RunningServe;
  stop(): Promise<void>;
}

/**
 * The whole flow on this machine: the stand-in apiserver with its loop, Redis, the Web API
 * stand-in that keeps the channel, and the real `serve` wired to them. stop() undoes all of it,
 * whatever had started when it is called.
 */
export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rancher-doctor-demo-'));
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.splice(0))
      await step().catch((err: unknown) => o.say(`while stopping: ${String(err)}`));
  };
  try {
    const channel = new Channel(CHANNEL_ID);
    const slack = await new SlackApiStandin({ onCall: (call) => channel.apply(call) }).start();
    stops.unshift(() => slack.close());
    const standin = await startStandin({ scenario: o.scenarioFile });
    stops.unshift(() => standin.close());
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await standin.writeKubeconfig(kubeconfig);
    o.say(`working folder ${dir} (removed at the end)`);
    o.say(`stand-in apiserver on ${standin.url} (scenario ${path.basename(o.scenarioFile)})`);
    const redis = await demoRedis(o.env, dir, o.say);
    stops.unshift(() => redis.close(prefix));
    o.say(
      `Redis at ${redis.origin === 'started' ? `${redis.url} (a redis-server of the demo's own)` : 'REDIS_URL'}, keys under "${prefix}:"`,
    );
    const secret = randomBytes(24).toString('hex');
    const logFile = path.join(dir, 'serve.log');
    const serve = await startServe({
      cli: o.paths.cli,
      logFile,
      env: {
        SLACK_BOT_TOKEN: 'xoxb-demo',
        SLACK_SIGNING_SECRET: secret,
        SLACK_API_URL: slack.url,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        APPROVERS: USERS.filter((u) => u.approver)
          .map((u) => u.id)
          .join(','),
        KUBECONFIG: kubeconfig,
        RANCHER_URL: standin.url,
        RANCHER_TOKEN: standin.rancherToken,
        // The stand-in is the only cluster the demo reaches: an approved fix is applied there, and
        // the loop measured again within seconds, so a newcomer sees it stop.
        REMEDIATION_ENABLED: 'true',
        VERIFY_AFTER: '5s',
        VERIFY_WINDOW: '10s',
      },
      onProblem: o.say,
      startTimeoutMs: 30_000,
      stopGraceMs: 15_000,
    });
    stops.unshift(() => serve.stop());
    o.say(`rancher-doctor serve (pid ${serve.child.pid}) answers on ${serve.eventsUrl}`);
    const link = new BotLink(serve.eventsUrl, secret, slack, channel);
    return { channel, link, standin, redis, prefix, dir, logFile, serve, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
