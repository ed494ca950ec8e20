import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { startStandin, type K8sObject, type Standin } from '../standin/index.js';
import { SlackApiStandin, blocksText, type RecordedCall } from '../support/slack-api.js';
import { deleteKeys } from '../support/redis.js';

export const CLUSTER = 'c-dql6k';
export const NODE = 'machine-h46dc';
export const ALERT_CHANNEL = 'C0ALERTS';
export const nodePath = (node: string) => `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${node}`;

/** Seconds everywhere: a loop alerts after 2 s, resolves after 2 s under the rule. */
export const FAST_ALERTS = {
  ALERT_FOR: '2',
  ALERT_WINDOW: '3',
  ALERT_INTERVAL: '1',
  ALERT_RESOLVE_AFTER: '2',
  ALERT_LEASE: '3',
  ALERT_LOST_CONTACT: '3',
  ALERT_DIAGNOSIS_WATCH: '1',
};

export interface AlertGround {
  standin: Standin;
  slack: SlackApiStandin;
  prefix: string;
  env: Record<string, string>;
  start(role?: 'worker' | 'serve' | 'bot', extra?: Record<string, string>): Promise<RunningRoles>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * For a test file: a function that opens an alert ground (alertGround), each closed after the
 * test that opened it.
 */
export function alertGroundEachTest(): (extraEnv?: Record<string, string>) => Promise<AlertGround> {
  let open: AlertGround | null = null;
  afterEach(async () => {
    await open?.close();
    open = null;
  });
  return async (extraEnv = {}) => (open = await alertGround(extraEnv));
}

async function alertGround(extraEnv: Record<string, string> = {}): Promise<AlertGround> {
  const standin = await startStandin({ loopIntervalMs: null });
  const slack = await new SlackApiStandin().start();
  const dir = mkdtempSync(join(tmpdir(), 'rd-alerts-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  const prefix = `t-alerts-${process.pid}-${++counter}`;
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-alerts',
    SLACK_SIGNING_SECRET: 'alerts-secret',
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    KUBECONFIG: kubeconfig,
    RANCHER_URL: standin.url,
    RANCHER_TOKEN: standin.rancherToken,
    ALERT_CHANNEL,
    SLACK_RETRIES: '3',
    // Fixes approvable from the alert, as the report shows them when remediation is on.
    APPROVERS: 'U0ALICE',
    REMEDIATION_ENABLED: 'true',
    ...FAST_ALERTS,
    ...extraEnv,
  };
  const running: RunningRoles[] = [];
  return {
    standin,
    slack,
    prefix,
    env,
    async start(role = 'worker', extra = {}) {
      const r = await startRoles(role, { ...env, ...extra });
      running.push(r);
      return r;
    },
    async close() {
      for (const r of running) await r.shutdown();
      const redis = new Redis('redis://127.0.0.1:6379');
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await slack.close();
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stops the loop of one object as the fix does: the object gets its status.rkeNode. */
export function stopLoop(standin: Standin, node = NODE): void {
  const obj = standin.get('local', nodePath(node))! as K8sObject & { status?: Record<string, unknown> };
  standin.put('local', { ...obj, status: { ...(obj.status ?? {}), rkeNode: { address: '10.0.0.1' } } });
}

/** Root messages Slack took in the alert channel (not thread replies, not calls answered 429). */
export function roots(calls: RecordedCall[]): RecordedCall[] {
  return calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.answer !== undefined &&
      c.args.channel === ALERT_CHANNEL &&
      c.args.thread_ts === undefined,
  );
}

export function updatesOf(calls: RecordedCall[], ts: string): RecordedCall[] {
  return calls.filter((c) => c.method === 'chat.update' && c.args.ts === ts);
}

export function tsOf(call: RecordedCall): string {
  return String((call.answer as { ts?: string } | undefined)?.ts);
}

export { blocksText };

/** A copy of the looping node object under another name, looping too (no Kubernetes node to find). */
export function addLoopingNode(standin: Standin, name: string): void {
  const obj = standin.get('local', nodePath(NODE))! as K8sObject & { status?: Record<string, unknown> };
  const { resourceVersion: _rv, uid: _uid, ...metadata } = obj.metadata;
  const { nodeName: _n, rkeNode: _r, ...status } = obj.status ?? {};
  standin.create('local', { ...obj, metadata: { ...metadata, name }, status });
}

/** The object loops again: its status.rkeNode goes. */
export function restartLoop(standin: Standin, node = NODE): void {
  const obj = standin.get('local', nodePath(node))! as K8sObject & { status?: Record<string, unknown> };
  const { rkeNode: _r, ...status } = obj.status ?? {};
  standin.put('local', { ...obj, status });
}

/** Every button of a message: its action id and value. */
export function buttonsOf(blocks: unknown): { actionId: string; value: string }[] {
  const out: { actionId: string; value: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'button' && typeof o.action_id === 'string')
        out.push({ actionId: o.action_id, value: String(o.value ?? '') });
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}
