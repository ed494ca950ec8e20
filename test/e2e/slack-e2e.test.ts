import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { logger } from '../../src/log.js';
import { output } from '../../src/log-mode.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import { startStandin, type Standin } from '../standin/index.js';
import { SlackApiStandin, blocksText, type RecordedCall } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { deleteKeys } from '../support/redis.js';

const SECRET = 'e2e-signing-secret';
const PREFIX = `t-e2e-${process.pid}`;
const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';

let standin: Standin;
let slack: SlackApiStandin;
let serve: RunningRoles;
let dir: string;
let url: string;
/** Every log line of the run, at debug level (Bolt's and the Web API client's included). */
const logLines: string[] = [];
let levelBefore: string;
/** The report as the worker last wrote it; the second test clicks it. */
let report: RecordedCall;

function displayName(): string {
  const cluster = standin.get('local', `/apis/management.cattle.io/v3/clusters/${CLUSTER}`) as {
    status?: { appliedSpec?: { displayName?: string } };
  };
  return cluster.status!.appliedSpec!.displayName!;
}

function internalIp(): string {
  const node = standin.get('local', `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`) as {
    status?: { internalNodeStatus?: { addresses?: { type: string; address: string }[] } };
  };
  return node.status!.internalNodeStatus!.addresses!.find((a) => a.type === 'InternalIP')!.address;
}

beforeAll(async () => {
  // 25 writes a second: a 2 s watch sees enough writes (30) to measure a rate, with room on a loaded machine.
  standin = await startStandin({ loopIntervalMs: 40 });
  slack = await new SlackApiStandin().start();
  dir = mkdtempSync(join(tmpdir(), 'rd-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  levelBefore = logger.level;
  logger.level = 'debug';
  output.sink = (line) => logLines.push(line);
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
    APPROVERS: 'U0ALICE',
    REMEDIATION_ENABLED: 'true',
    // The loop measured again 1 s after the fix, for 3 s: seconds here, minutes in production.
    VERIFY_AFTER: '1s',
    VERIFY_WINDOW: '3s',
    // Every stage visible: with the production throttle (1 s) a stage shorter than that may be skipped.
    PROGRESS_THROTTLE_MS: '0',
    SLACK_RETRIES: '1',
  });
  url = `http://127.0.0.1:${serve.port}/slack/events`;
  // Both Redis connections (the bot's and the worker's) up before Slack is let in: on a loaded
  // machine they can take longer than startRoles does, and the ack would say the queue is down.
  const health = `http://127.0.0.1:${serve.port}/healthz`;
  const deadline = Date.now() + 20000;
  while ((await fetch(health)).status !== 200) {
    if (Date.now() > deadline) throw new Error('serve never became healthy (Redis connections)');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60000);

/** What Redis says about a job: added with the test's own prefix when a wait for Slack times out. */
async function jobReport(jobId: string): Promise<string> {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: PREFIX });
  try {
    const job = await queue.getJob(jobId);
    if (!job) return `job ${jobId}: not in Redis`;
    const message = await redis.get(`${PREFIX}:doctor:message:${jobId}`);
    return `job ${jobId}: ${await job.getState()}, attempts ${job.attemptsMade}, failed: ${job.failedReason || '-'}, progress ${JSON.stringify(job.progress)}, message ${message}`;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

afterAll(async () => {
  await serve.shutdown();
  output.sink = null;
  logger.level = levelBefore;
  const redis = new Redis('redis://127.0.0.1:6379');
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
  await slack.close();
  await standin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('end to end: Slack -> bot -> queue -> worker -> stand-in apiserver -> Slack', () => {
  it('a signed /rancher diagnose ends in a report naming the node, the cluster and its IP, with the three buttons', async () => {
    const body = slashCommandBody({ text: `diagnose ${CLUSTER} --since 30m --watch 2s`, channelId: 'C0OPS' });
    const ack = await postToBot(url, body, signedHeaders(SECRET, body));
    expect(ack.status).toBe(200);
    expect((ack.json as { text: string }).text).toMatch(/queued as d[a-z0-9]+/);
    const jobId = /queued as (d[a-z0-9]+)/.exec((ack.json as { text: string }).text)![1]!;

    const isReport = (c: RecordedCall) =>
      c.method === 'chat.update' && blocksText(c.args.blocks).includes('Approve patch');
    await slack
      .waitFor((calls) => calls.some(isReport), 60000, 'the report')
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await jobReport(jobId)}`);
      });

    const post = slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.channel === 'C0OPS' && !c.args.thread_ts);
    expect(post).toHaveLength(1);
    const history = [post[0]!, ...slack.callsOf('chat.update')].map((c) => blocksText(c.args.blocks));
    expect(history[0]).toContain('is queued');
    // The log stage as it ran, with how much was read: "(12.3 KiB, 140 lines)".
    const logStage = history.filter((t) => t.includes(':arrow_forward: *Reading apiserver logs*'));
    expect(logStage.length).toBeGreaterThan(0);
    expect(
      logStage.some((t) =>
        /:arrow_forward: \*Reading apiserver logs\*[^\n]*\((\d[\d.,]* (B|KiB|MiB|GiB)|[\d,]+ lines)(, [\d,]+ lines)?\)/.test(
          t,
        ),
      ),
    ).toBe(true);
    expect(history.some((t) => t.includes(':arrow_forward: *Reading node objects*'))).toBe(true);
    expect(history.some((t) => t.includes(':arrow_forward: *Asking the node agents*'))).toBe(true);
    // The churn watch has a line of its own: the logs line never shows its countdown, and once the
    // agents are asked the watch is over, with what it saw.
    expect(history.filter((t) => /Reading apiserver logs[^\n]* s left/.test(t))).toEqual([]);
    for (const t of history.filter((h) => h.includes(':arrow_forward: *Asking the node agents*')))
      expect(t).toMatch(
        /:white_check_mark: Watching writes \(\d+ updates? of \d+ objects? in 2s: the whole window, no loop plain before its end\)/,
      );

    report = slack.calls.filter(isReport).at(-1)!;
    const text = blocksText(report.args.blocks);
    expect(text).toContain(NODE);
    expect(text).toContain(displayName());
    expect(text).toContain(internalIp());
    expect(text).toMatch(/rewritten \*[\d,.]+ times a minute\*/);
    expect(text).toContain('*Recommended: ');
    // The evidence, the diff and the drain follow in the report's thread.
    const inThread = (c: RecordedCall) =>
      c.method === 'chat.postMessage' && c.args.thread_ts === report.args.ts;
    await slack.waitFor((calls) => calls.filter(inThread).length >= 2, 10000, 'the thread');
    const evidence = slack.calls.filter(inThread).map((c) => blocksText(c.args.blocks));
    expect(evidence[0]).toMatch(/\/min\* by the (churn watch|kube-apiserver pod log): /);
    expect(evidence[0]).toContain('+  rkeNode:');
    const actions = (
      report.args.blocks as {
        type: string;
        elements?: { action_id: string; value: string; text: { text: string } }[];
      }[]
    ).find((b) => b.type === 'actions' && (b as { block_id?: string }).block_id === 'finding-0')!.elements!;
    expect(actions.map((a) => a.text.text)).toEqual(['Approve patch', 'Approve drain and remove', 'Dismiss']);

    const click = buttonClickBody({
      actionId: 'approve_patch',
      value: actions[0]!.value,
      userId: 'U0ALICE',
      channelId: 'C0OPS',
      messageTs: String(report.args.ts),
    });
    const answered = await postToBot(url, click, signedHeaders(SECRET, click));
    expect(answered.status).toBe(200);
    const isRecord = (c: RecordedCall) =>
      inThread(c) && blocksText(c.args.blocks).includes('<@U0ALICE> approved *the patch*');
    await slack.waitFor((calls) => calls.some(isRecord), 10000, 'the approval record');

    // The patch is applied on the stand-in: one dry run, one write, after a re-read.
    const objectPath = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`;
    const threadSays = (words: string) => (c: RecordedCall) =>
      inThread(c) && blocksText(c.args.blocks).includes(words);
    await slack.waitFor((calls) => calls.some(threadSays('applied at')), 30000, 'the patch applied');
    const patched = standin.get('local', objectPath) as unknown as {
      spec: { customConfig?: { address?: string } };
      status: { rkeNode?: { address?: string; nodeName?: string } };
    };
    expect(patched.status.rkeNode).toMatchObject({ address: internalIp(), nodeName: `${CLUSTER}:${NODE}` });
    expect(patched.spec.customConfig).toMatchObject({ address: internalIp() });
    // The patch is pinned to the resourceVersion it was read at, and the loop goes on writing until it
    // lands: a loop write in between is answered 409 and that phase is tried again from a fresh read.
    // So: dry runs until one passes, then writes until one lands, every other try refused for its
    // stale version, and exactly one write that succeeded.
    const tries = standin.requests
      .filter((r) => r.method === 'PATCH' && r.path === objectPath)
      .map((r) => `${r.query.dryRun ? 'dry run' : 'write'} ${r.status}`);
    expect(tries.join(', ')).toMatch(/^(dry run 409, )*dry run 200(, write 409)*, write 200$/);
    // And for whoever looks at the object rather than Slack: an Event on it.
    const events = standin.list('local', `/api/v1/namespaces/${CLUSTER}/events`) as unknown as {
      involvedObject: { kind: string; name: string };
      reason: string;
      message: string;
    }[];
    expect(events).toContainEqual(
      expect.objectContaining({
        involvedObject: expect.objectContaining({ kind: 'Node', name: NODE }),
        reason: 'RancherDoctorPatched',
        message: expect.stringContaining('approved in Slack by U0ALICE'),
      }),
    );

    // The loop stops; measured again, the thread says so with the figures, and the report's
    // headline says fixed, its buttons replaced by the decision.
    await slack.waitFor((calls) => calls.some(threadSays('*Loop stopped*')), 30000, 'the verification');
    const reportNow = slack.calls
      .filter((c) => c.method === 'chat.update' && c.args.ts === report.args.ts)
      .at(-1)!;
    const now = blocksText(reportNow.args.blocks);
    expect(now).toContain('— fixed');
    expect(now).toContain('Patch approved by <@U0ALICE>');
    expect(now).not.toContain('Approve patch');
  }, 120000);

  it("the cluster's registration token is never in the channel, a log line or Redis; an approver gets it alone, on request", async () => {
    const tokenObject = standin.get(
      'local',
      `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/clusterregistrationtokens/default-token`,
    ) as unknown as { status: { token: string; nodeCommand: string } };
    const token = tokenObject.status.token;
    expect(token.length).toBeGreaterThan(20);
    expect(tokenObject.status.nodeCommand).toContain(token);

    const evidence = slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.thread_ts === report.args.ts && String(c.args.text).startsWith('Evidence for'))!;
    const blocks = evidence.args.blocks as {
      type: string;
      block_id?: string;
      elements?: { action_id: string; value: string }[];
    }[];
    expect(blocksText(blocks)).toContain('--token &lt;registration token&gt;');
    const show = blocks.find((b) => b.block_id === 'registration')!.elements![0]!;
    expect(show.action_id).toBe('show_registration');

    const clickShow = async (userId: string, id: string) => {
      const body = buttonClickBody({
        actionId: 'show_registration',
        value: show.value,
        userId,
        channelId: 'C0OPS',
        messageTs: String(report.args.ts),
        blockId: 'registration',
        responseUrl: slack.responseUrl(id),
      });
      expect((await postToBot(url, body, signedHeaders(SECRET, body))).status).toBe(200);
      await slack.waitFor(
        (calls) => calls.some((c) => c.args.path === `/response/${id}`),
        20000,
        `the answer ${id}`,
      );
      return slack.callsOf('response_url').find((c) => c.args.path === `/response/${id}`)!;
    };
    const refused = await clickShow('U0MALLORY', 'show-mallory');
    expect(refused.args.response_type).toBe('ephemeral');
    expect(JSON.stringify(refused.args)).not.toContain(token);
    expect(blocksText(refused.args.blocks)).toContain('Only the configured approvers');

    const shown = await clickShow('U0ALICE', 'show-alice');
    // Read from the local cluster at the click, to the clicker alone, with the node's role flag.
    expect(shown.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(shown.args.blocks)).toContain(`--token ${token}`);
    expect(blocksText(shown.args.blocks)).toMatch(/--worker```/);
    expect(String(shown.args.text)).not.toContain(token);

    // Everything else the run sent, logged or kept: no token anywhere.
    const sent = slack.calls.filter((c) => c !== shown);
    expect(sent.length).toBeGreaterThan(5);
    const leaks = sent.filter((c) => JSON.stringify(c).includes(token)).map((c) => c.method);
    expect(leaks).toEqual([]);
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.filter((l) => l.includes(token))).toEqual([]);
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const keys = await redis.keys(`${PREFIX}:*`);
      expect(keys.some((k) => k.includes(':doctor:plan:'))).toBe(true);
      const stored: string[] = [];
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'string') stored.push((await redis.get(key)) ?? '');
        else if (type === 'hash') stored.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') stored.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') stored.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') stored.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'stream') stored.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        else stored.push(`${key}: unread type ${type}`);
      }
      expect(stored.join('\n')).toContain('default-token');
      expect(stored.filter((v) => v.includes(token) || v.includes('unread type'))).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 60000);
});

describe('operations: what a platform team charts and reads after the run above', () => {
  it('no token, signing secret or registration token in any log line; job lines name the job, channel, user and cluster', () => {
    for (const secret of ['xoxb-e2e', SECRET, standin.rancherToken]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
    }
    // Every line that names a diagnosis job, whatever its message.
    const jobLines = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l.job === 'string' || 'jobId' in l);
    expect(jobLines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['diagnosis started', 'diagnosis done', 'job completed']),
    );
    for (const line of jobLines) {
      expect(line).toMatchObject({
        job: expect.stringMatching(/^d/),
        channel: 'C0OPS',
        user: expect.any(String),
        cluster: CLUSTER,
      });
    }
    expect(jobLines.find((l) => l.msg === 'diagnosis done')).toMatchObject({ nodes: [`${CLUSTER}/${NODE}`] });
  });

  it('/metrics has each series with its labels, and the counts of the run', async () => {
    // A forged signature and a GET on Slack's URL, for the refusals.
    const body = slashCommandBody({ text: 'help', channelId: 'C0OPS' });
    expect((await postToBot(url, body, signedHeaders('not-the-secret', body))).status).toBe(401);
    expect((await fetch(url)).status).toBe(405);
    // Someone who is no approver clicks Approve; Slack answers the bot's reply to them with a 429
    // (the bot does not wait on the click's path: the reply goes by the response URL instead).
    slack.script('chat.postEphemeral', { status: 429, retryAfter: 1 });
    const approve = (
      report.args.blocks as { block_id?: string; elements?: { action_id: string; value: string }[] }[]
    )
      .find((b) => b.block_id === 'finding-0')!
      .elements!.find((e) => e.action_id === 'approve_patch')!;
    const click = buttonClickBody({
      actionId: 'approve_patch',
      value: approve.value,
      userId: 'U0MALLORY',
      channelId: 'C0OPS',
      messageTs: String(report.args.ts),
      responseUrl: slack.responseUrl('mallory-approve'),
    });
    expect((await postToBot(url, click, signedHeaders(SECRET, click))).status).toBe(200);
    await slack.waitFor(
      (calls) => calls.some((c) => c.args.path === '/response/mallory-approve'),
      20000,
      'the refusal, after the 429',
    );
    const text = await (await fetch(`http://127.0.0.1:${serve.metricsPort}/metrics`)).text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : null;
    };
    // What the run did, counted once each: one diagnosis, one approval, one patch applied.
    expect(value('rancher_doctor_slash_commands_total{subcommand="diagnose",outcome="queued"}')).toBe(1);
    expect(value('rancher_doctor_diagnoses_started_total')).toBe(1);
    expect(value('rancher_doctor_diagnoses_finished_total{outcome="done"}')).toBe(1);
    expect(value('rancher_doctor_diagnosis_duration_seconds_count{outcome="done"}')).toBe(1);
    expect(value('rancher_doctor_diagnosis_duration_seconds_sum{outcome="done"}')).toBeGreaterThan(1);
    expect(value('rancher_doctor_approvals_total{fix="patch",outcome="approved"}')).toBe(1);
    expect(value('rancher_doctor_approvals_total{fix="patch",outcome="refused",reason="not-approver"}')).toBe(
      1,
    );
    expect(value('rancher_doctor_fixes_total{fix="patch",outcome="applied"}')).toBe(1);
    expect(
      value('rancher_doctor_slack_api_calls_total{method="chat.postEphemeral",outcome="rate_limited"}'),
    ).toBe(1);
    expect(value('rancher_doctor_http_requests_refused_total{reason="signature"}')).toBe(1);
    expect(value('rancher_doctor_http_requests_refused_total{reason="method"}')).toBe(1);
    // No detector in this run (no ALERT_CHANNEL): test/alerts/detector-metrics.test.ts has it.
    expect(value('rancher_doctor_detector_leader')).toBe(0);
    for (const series of [
      /^rancher_doctor_slash_commands_total\{subcommand="diagnose",outcome="[a-z-]+"\} [1-9]/m,
      /^rancher_doctor_diagnoses_started_total [1-9]/m,
      /^rancher_doctor_diagnoses_finished_total\{outcome="done"\} [1-9]/m,
      /^rancher_doctor_diagnosis_duration_seconds_count\{outcome="done"\} [1-9]/m,
      /^rancher_doctor_queue_waiting_jobs \d/m,
      /^rancher_doctor_queue_oldest_waiting_seconds \d/m,
      /^rancher_doctor_slack_api_calls_total\{method="chat.postMessage",outcome="ok"\} [1-9]/m,
      /^rancher_doctor_slack_api_calls_total\{method="chat.update",outcome="ok"\} [1-9]/m,
      /^rancher_doctor_kubernetes_requests_total\{outcome="ok"\} [1-9]/m,
      /^rancher_doctor_http_requests_refused_total\{reason="signature"\} [1-9]/m,
      /^rancher_doctor_http_requests_refused_total\{reason="method"\} [1-9]/m,
      /^# TYPE rancher_doctor_detector_leader gauge/m,
      /^# TYPE rancher_doctor_detector_objects_watched gauge/m,
      /^# TYPE rancher_doctor_incidents_open gauge/m,
    ]) {
      expect(text).toMatch(series);
    }
  });
});
