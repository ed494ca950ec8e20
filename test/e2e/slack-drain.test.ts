import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { startStandin, type Standin } from '../standin/index.js';
import { SlackApiStandin, blocksText, type RecordedCall } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { releaseWebBudget } from '../remediation/apply/drain-support.js';

const SECRET = 'e2e-drain-signing-secret';
const PREFIX = `t-e2e-drain-${process.pid}`;
const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';
const KUBE_NODE = '/api/v1/nodes/worker-3';
const OBJECT = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`;

let standin: Standin;
let slack: SlackApiStandin;
let serve: RunningRoles;
let dir: string;
let url: string;

beforeAll(async () => {
  standin = await startStandin({ loopIntervalMs: 100 });
  slack = await new SlackApiStandin().start();
  dir = mkdtempSync(join(tmpdir(), 'rd-e2e-drain-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  serve = await startRoles('serve', {
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: PREFIX,
    KUBECONFIG: kubeconfig,
    RANCHER_URL: standin.url,
    RANCHER_TOKEN: standin.rancherToken,
    APPROVERS: 'U0ALICE,U0BOB',
    APPROVALS_REQUIRED_DRAIN: '2',
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
  });
  url = `http://127.0.0.1:${serve.port}/slack/events`;
  const deadline = Date.now() + 20000;
  while ((await fetch(`http://127.0.0.1:${serve.port}/healthz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('serve never became healthy');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60000);

afterAll(async () => {
  await serve.shutdown();
  const redis = new Redis('redis://127.0.0.1:6379');
  const left = await redis.keys(`${PREFIX}:*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
  await slack.close();
  await standin.close();
  rmSync(dir, { recursive: true, force: true });
});

async function click(actionId: string, value: string, userId: string, ts: string): Promise<void> {
  const body = buttonClickBody({ actionId, value, userId, channelId: 'C0OPS', messageTs: ts });
  expect((await postToBot(url, body, signedHeaders(SECRET, body))).status).toBe(200);
}

describe('drain and remove, approved in Slack, carried out on the stand-in', () => {
  it('needs two approvals; then cordons, evicts (the blocked pod once its budget is released), deletes the node, sees the machine- object go and the loop stop, and gives the host its way back', async () => {
    const body = slashCommandBody({
      text: `diagnose ${CLUSTER} --watch 2s`,
      channelId: 'C0OPS',
      userId: 'U0OPS',
    });
    expect((await postToBot(url, body, signedHeaders(SECRET, body))).status).toBe(200);
    const isReport = (c: RecordedCall) =>
      c.method === 'chat.update' && blocksText(c.args.blocks).includes('Approve drain and remove');
    await slack.waitFor((calls) => calls.some(isReport), 60000, 'the report');
    const report = slack.calls.filter(isReport).at(-1)!;
    const ts = String(report.args.ts);
    const buttons = (
      report.args.blocks as {
        type: string;
        block_id?: string;
        elements?: { action_id: string; value: string }[];
      }[]
    ).find((b) => b.type === 'actions' && b.block_id === 'finding-0')!.elements!;
    const drain = buttons.find((b) => b.action_id === 'approve_drain')!;
    const inThread = (c: RecordedCall) => c.method === 'chat.postMessage' && c.args.thread_ts === ts;
    const threadSays = (words: string) => (calls: RecordedCall[]) =>
      calls.some((c) => inThread(c) && blocksText(c.args.blocks).includes(words));
    const reportSays = (words: string) => (calls: RecordedCall[]) =>
      calls.some(
        (c) => c.method === 'chat.update' && c.args.ts === ts && blocksText(c.args.blocks).includes(words),
      );

    // One approval of two: nothing is done.
    await click('approve_drain', drain.value, 'U0ALICE', ts);
    await slack.waitFor(reportSays('*1 of 2*'), 10000, 'one approval of two');
    expect(standin.countRequests({ method: 'PATCH', path: KUBE_NODE })).toBe(0);
    expect(standin.countRequests({ method: 'POST', path: /\/eviction$/ })).toBe(0);

    // The second: carried out. While it runs, the report offers Stop.
    await click('approve_drain', drain.value, 'U0BOB', ts);
    await slack.waitFor(reportSays('Stop'), 20000, 'the drain running with its Stop button');
    // The web pod's budget refuses (429) until the test lets the ReplicaSet's new pod be ready.
    await slack.waitFor(
      () => standin.requests.some((r) => r.path.endsWith('/eviction') && r.status === 429),
      20000,
      'a refused eviction',
    );
    expect((standin.get(CLUSTER, KUBE_NODE)!.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
    releaseWebBudget(standin);

    await slack.waitFor(threadSays("The host's way back"), 60000, 'the node removed');
    expect(standin.get(CLUSTER, KUBE_NODE)).toBeUndefined();
    expect(standin.get('local', OBJECT)).toBeUndefined();
    const removed = slack.calls.filter(
      (c) => inThread(c) && blocksText(c.args.blocks).includes("host's way back"),
    )[0]!;
    const text = blocksText(removed.args.blocks);
    expect(text).toContain('node `worker-3` removed');
    expect(text).toContain('Rancher removed the node object');
    expect(text).toContain('--token &lt;registration token&gt;');
    expect(text).toContain('Show registration command');
    // The delete went as a dry run, then for real with the node's UID.
    expect(standin.countRequests({ method: 'DELETE', path: KUBE_NODE, dryRun: true })).toBe(1);
    expect(standin.countRequests({ method: 'DELETE', path: KUBE_NODE, dryRun: false })).toBe(1);

    await slack.waitFor(threadSays('*Loop stopped*'), 30000, 'the verification');
    expect(standin.loop.isLooping(CLUSTER, NODE)).toBe(false);
  }, 180000);
});
