/**
 * What the drain's Slack tests stand on: the stand-in apiserver (a scenario of its own per test),
 * the stand-in Slack Web API, the real roles (bot and worker in this process, or the bot alone for
 * a test that runs its workers as child processes) on real Redis under a prefix of their own, and
 * the signed requests a person's clicks send.
 */
import { expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { startStandin, type Standin } from '../standin/index.js';
import { SlackApiStandin, blocksText, type RecordedCall } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { deleteKeys } from '../support/redis.js';

export const CLUSTER = 'c-dql6k';
export const NODE = 'machine-h46dc';
export const KUBE_NODE = '/api/v1/nodes/worker-3';
export const OBJECT = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`;
const SECRET = 'e2e-drain-signing-secret';

interface Button {
  action_id: string;
  value: string;
  text?: { text: string };
}
interface Block {
  type: string;
  block_id?: string;
  elements?: Button[];
}

export interface DrainGround {
  standin: Standin;
  slack: SlackApiStandin;
  /** Everything the roles were started with: a child worker gets the same. */
  env: Record<string, string>;
  prefix: string;
  /** `/rancher diagnose` in the channel; the report once it is shown, with its finding's buttons. */
  diagnose(): Promise<{ ts: string; text: string; buttons: Button[] }>;
  click(actionId: string, value: string, userId: string, ts: string): Promise<void>;
  /** `/rancher <text>` from `userId`: the text of the bot's immediate answer. */
  command(text: string, userId: string): Promise<string>;
  /** The buttons under the finding in the report's latest version. */
  buttonsNow(ts: string): Button[];
  /** Waits for the report (chat.update) or its thread (chat.postMessage) to say `words`. */
  reportSays(ts: string, words: string, what: string, timeoutMs?: number): Promise<string>;
  threadSays(ts: string, words: string, what: string, timeoutMs?: number): Promise<string>;
  ephemeralsTo(userId: string): string[];
  close(): Promise<void>;
}

export async function startDrainGround(
  options: { scenario?: string; env?: Record<string, string>; role?: 'serve' | 'bot' } = {},
): Promise<DrainGround> {
  const standin = await startStandin({ scenario: options.scenario ?? 'seed', loopIntervalMs: 100 });
  const slack = await new SlackApiStandin().start();
  const dir = mkdtempSync(join(tmpdir(), 'rd-e2e-drain-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  const prefix = `t-e2e-drain-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    KUBECONFIG: kubeconfig,
    RANCHER_URL: standin.url,
    RANCHER_TOKEN: standin.rancherToken,
    APPROVERS: 'U0ALICE,U0BOB',
    REMEDIATION_ENABLED: 'true',
    VERIFY_AFTER: '1s',
    VERIFY_WINDOW: '3s',
    // The drain's waits in seconds: minutes in production.
    DRAIN_TIMEOUT: '60s',
    DRAIN_RETRY_INTERVAL: '1s',
    DRAIN_POLL_INTERVAL: '1s',
    DRAIN_REMOVAL_WAIT: '10s',
    PROGRESS_THROTTLE_MS: '0',
    SLACK_RETRIES: '1',
    ...options.env,
  };
  const roles: RunningRoles = await startRoles(options.role ?? 'serve', env);
  const url = `http://127.0.0.1:${roles.port}/slack/events`;
  const deadline = Date.now() + 20000;
  while ((await fetch(`http://127.0.0.1:${roles.port}/healthz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the bot never became healthy');
    await new Promise((r) => setTimeout(r, 50));
  }

  const updates = (ts: string) => slack.calls.filter((c) => c.method === 'chat.update' && c.args.ts === ts);
  const says =
    (match: (c: RecordedCall) => boolean) =>
    async (ts: string, words: string, what: string, timeoutMs = 60000): Promise<string> => {
      const found = (c: RecordedCall) =>
        match(c) &&
        (c.method === 'chat.update' ? c.args.ts === ts : c.args.thread_ts === ts) &&
        blocksText(c.args.blocks).includes(words);
      await slack.waitFor((calls) => calls.some(found), timeoutMs, what);
      return blocksText(slack.calls.filter(found).at(-1)!.args.blocks);
    };
  const buttonsOf = (c: RecordedCall) =>
    (c.args.blocks as Block[]).find((b) => b.type === 'actions' && b.block_id === 'finding-0')?.elements ??
    [];

  return {
    standin,
    slack,
    env,
    prefix,
    async diagnose() {
      const body = slashCommandBody({
        text: `diagnose ${CLUSTER} --watch 2s`,
        channelId: 'C0OPS',
        userId: 'U0OPS',
      });
      expect((await postToBot(url, body, signedHeaders(SECRET, body))).status).toBe(200);
      // The report is the update that carries the finding's row of buttons.
      const isReport = (c: RecordedCall) =>
        c.method === 'chat.update' && Array.isArray(c.args.blocks) && buttonsOf(c).length > 0;
      await slack.waitFor((calls) => calls.some(isReport), 90000, 'the report');
      const report = slack.calls.filter(isReport).at(-1)!;
      return { ts: String(report.args.ts), text: blocksText(report.args.blocks), buttons: buttonsOf(report) };
    },
    async click(actionId, value, userId, ts) {
      const body = buttonClickBody({ actionId, value, userId, channelId: 'C0OPS', messageTs: ts });
      expect((await postToBot(url, body, signedHeaders(SECRET, body))).status).toBe(200);
    },
    async command(text, userId) {
      const body = slashCommandBody({ text, userId, channelId: 'C0OPS' });
      const res = await postToBot(url, body, signedHeaders(SECRET, body));
      expect(res.status).toBe(200);
      return blocksText((res.json as { blocks?: unknown } | null)?.blocks ?? []);
    },
    buttonsNow: (ts) => {
      const last = updates(ts).at(-1);
      return last ? buttonsOf(last) : [];
    },
    reportSays: says((c) => c.method === 'chat.update'),
    threadSays: says((c) => c.method === 'chat.postMessage'),
    ephemeralsTo: (userId) =>
      slack
        .callsOf('chat.postEphemeral')
        .filter((c) => c.args.user === userId)
        .map((c) => blocksText(c.args.blocks)),
    async close() {
      await roles.shutdown();
      const redis = new Redis('redis://127.0.0.1:6379');
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await slack.close();
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the stand-in's node worker-3 is cordoned. */
export const cordoned = (standin: Standin): boolean | undefined =>
  (standin.get(CLUSTER, KUBE_NODE)?.spec as { unschedulable?: boolean } | undefined)?.unschedulable;
