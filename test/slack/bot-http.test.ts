import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { DIAGNOSE_QUEUE } from '../../src/queue/job-data.js';
import { writeClusterCache } from '../../src/queue/cluster-cache.js';
import { PlanStore } from '../../src/queue/plan-store.js';
import { ReportStore } from '../../src/queue/report-store.js';
import { job, reportWithFinding } from './fixtures.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { NO_ENGINE } from '../support/bot-env.js';
import { deleteKeys } from '../support/redis.js';

const SECRET = 'test-signing-secret';
const PREFIX = `t-bothttp-${process.pid}`;

let slack: SlackApiStandin;
let bot: RunningRoles;
let url: string;
let redis: Redis;
let queue: Queue;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: PREFIX,
    APPROVERS: 'U0CAROL,S0APPROVE',
    ...extra,
  };
}

async function command(text: string, opts: { userId?: string; channelId?: string } = {}) {
  const body = slashCommandBody({ text, ...opts });
  return postToBot(url, body, signedHeaders(SECRET, body));
}

async function jobCount(): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
  bot = await startRoles('bot', env(), NO_ENGINE);
  url = `http://127.0.0.1:${bot.port}/slack/events`;
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  queue = new Queue(DIAGNOSE_QUEUE, { connection: redis, prefix: PREFIX });
  await queue.obliterate({ force: true });
  await writeClusterCache(redis, PREFIX, [
    { id: 'c-dql6k', name: 'prod-east', driver: 'rancherKubernetesEngine' },
    { id: 'local', name: 'local', driver: 'imported' },
    { id: 'c-zr7q2', name: 'Zürich Prod', driver: 'rancherKubernetesEngine' },
  ]);
  // The first request pays for module warm-up; keep that out of the signature tests.
  await command('help');
});

afterAll(async () => {
  await bot.shutdown();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await deleteKeys(redis, `${PREFIX}*`); // -strict and -broken too
  redis.disconnect();
  await slack.close();
});

describe('request verification', () => {
  const body = slashCommandBody({ text: 'diagnose c-dql6k' });
  const now = Math.floor(Date.now() / 1000);
  it.each([
    ['unsigned', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['wrongly signed', signedHeaders('not-the-secret', body)],
    ['stale (over 5 minutes)', signedHeaders(SECRET, body, now - 6 * 60)],
    ['stamped in the future', signedHeaders(SECRET, body, now + 6 * 60)],
  ])('%s: 401 and nothing queued', async (_name, headers) => {
    const before = await jobCount();
    const res = await postToBot(url, body, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(await jobCount()).toBe(before);
  });

  it('body tampered after signing: 401 and nothing queued', async () => {
    const signedFor = slashCommandBody({ text: 'help' });
    const res = await postToBot(url, body, signedHeaders(SECRET, signedFor));
    expect(res.status).toBe(401);
    expect(await jobCount()).toBe(0);
  });
});

describe('/rancher', () => {
  it('help, and an unknown subcommand answered with help naming it', async () => {
    const help = await command('help');
    expect(help.status).toBe(200);
    expect(help.json).toMatchObject({ response_type: 'ephemeral' });
    const res = await command('diagnoze c-dql6k');
    expect(res.json).toMatchObject({ response_type: 'ephemeral' });
    expect(res.body).toContain('unknown subcommand \\"diagnoze\\"');
  });

  it('an unknown cluster is refused naming the known ones, nothing queued', async () => {
    const res = await command('diagnose c-nope');
    expect(res.body).toContain('c-nope');
    expect(res.body).toContain('prod-east');
    expect(res.body).toContain('local');
    expect(await jobCount()).toBe(0);
  });

  it('diagnose enqueues, acks where the report will be, posts the queued message; a second one points at the first', async () => {
    const res = await command('diagnose prod-east --since 30m', { channelId: 'C0OPS' });
    expect(res.status).toBe(200);
    const ack = res.json as { text: string; blocks: unknown };
    expect(ack.text).toMatch(/queued as d[a-z0-9]+/);
    expect(blocksText(ack.blocks)).toContain('<#C0OPS>');
    const jobId = /queued as (d[a-z0-9]+)/.exec(ack.text)![1]!;
    const job = await queue.getJob(jobId);
    expect(job?.data).toMatchObject({
      clusterId: 'c-dql6k',
      clusterName: 'prod-east',
      sinceSeconds: 1800,
      channelId: 'C0OPS',
      requestedBy: 'U0ALICE',
    });
    expect(JSON.stringify(job?.data)).not.toContain('xoxb');
    await slack.waitFor((calls) =>
      calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0OPS'),
    );
    expect(blocksText(slack.callsOf('chat.postMessage').at(-1)!.args.blocks)).toContain('is queued');

    const again = await command('diagnose c-dql6k');
    expect(again.body).toContain('already');
    expect(again.body).toContain(jobId);
    expect(await jobCount()).toBe(1);

    // No worker runs here: /metrics says one diagnosis waits, and for how long, read at the scrape.
    const metrics = async () => (await fetch(`http://127.0.0.1:${bot.metricsPort}/metrics`)).text();
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    let text = await metrics();
    expect(value(text, 'rancher_doctor_queue_waiting_jobs')).toBe(1);
    for (let i = 0; i < 100 && !(value(text, 'rancher_doctor_queue_oldest_waiting_seconds') > 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await metrics();
    }
    expect(value(text, 'rancher_doctor_queue_oldest_waiting_seconds')).toBeGreaterThan(0);
    expect(text).toMatch(
      /^rancher_doctor_slash_commands_total\{subcommand="diagnose",outcome="queued"\} 1$/m,
    );
    expect(text).toMatch(
      /^rancher_doctor_slash_commands_total\{subcommand="diagnose",outcome="duplicate"\} 1$/m,
    );

    const status = await command(`status ${jobId}`);
    const statusText = blocksText((status.json as { blocks: unknown }).blocks);
    expect(statusText).toContain(jobId);
    expect(statusText).toContain('*queued*');
    // Slack's own permalink of the job's message, asked for when the message was posted.
    const posted = slack.callsOf('chat.postMessage').at(-1)!.args;
    expect(slack.callsOf('chat.getPermalink').at(-1)!.args).toMatchObject({ channel: 'C0OPS' });
    const ts = String(slack.callsOf('chat.getPermalink').at(-1)!.args.message_ts);
    expect(posted.channel).toBe('C0OPS');
    expect(statusText).toContain(
      `<https://example.slack.com/archives/C0OPS/p${ts.replace('.', '')}|its message>`,
    );
  });

  it('a display name with a space and a non-ASCII letter is named in quotes, smart quotes too', async () => {
    const res = await command('DIAGNOSE \u201czürich  prod\u201d --watch 0', { channelId: 'C0OPS' });
    const ack = res.json as { text: string };
    expect(ack.text).toMatch(/queued as d[a-z0-9]+/);
    const jobId = /queued as (d[a-z0-9]+)/.exec(ack.text)![1]!;
    expect((await queue.getJob(jobId))?.data).toMatchObject({
      clusterId: 'c-zr7q2',
      clusterName: 'Zürich Prod',
      watchSeconds: 0,
    });
  });

  it('a near miss is answered with a suggestion and the help, echoing one line at most', async () => {
    const res = await command(`diagnoze ${'x'.repeat(5000)}`);
    const text = blocksText((res.json as { blocks: unknown }).blocks);
    expect(text).toContain('(did you mean "diagnose"?)');
    expect(text).toContain('*How to use /rancher*');
    expect(text.length).toBeLessThan(1000);
  });

  it('refuses users outside DIAGNOSE_ALLOWED_USERS', async () => {
    const strict = await startRoles(
      'bot',
      env({ DIAGNOSE_ALLOWED_USERS: 'U0BOB', QUEUE_PREFIX: `${PREFIX}-strict` }),
      NO_ENGINE,
    );
    try {
      const body = slashCommandBody({ text: 'diagnose local', userId: 'U0MALLORY' });
      const res = await postToBot(
        `http://127.0.0.1:${strict.port}/slack/events`,
        body,
        signedHeaders(SECRET, body),
      );
      expect(res.body).toContain('cannot be started by you');
    } finally {
      await strict.shutdown();
    }
  });
});

describe('an unexpected failure', () => {
  it('is still acked, saying nothing was queued', async () => {
    const prefix = `${PREFIX}-broken`;
    // A queue whose meta key has the wrong type: BullMQ's add script fails with WRONGTYPE.
    await redis.set(`${prefix}:${DIAGNOSE_QUEUE}:meta`, 'not a hash');
    const broken = await startRoles('bot', env({ QUEUE_PREFIX: prefix }), NO_ENGINE);
    try {
      const body = slashCommandBody({ text: 'diagnose' });
      const res = await postToBot(
        `http://127.0.0.1:${broken.port}/slack/events`,
        body,
        signedHeaders(SECRET, body),
      );
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        response_type: 'ephemeral',
        text: 'Something went wrong; nothing was queued',
      });
    } finally {
      await broken.shutdown();
      await redis.del(`${prefix}:${DIAGNOSE_QUEUE}:meta`);
    }
  });
});

describe('report buttons', () => {
  const plans = () => new PlanStore(redis, PREFIX, 60);
  const savePlan = (complete = true) =>
    plans().save({
      kind: 'patch',
      jobId: 'dtest',
      findingId: 'c-dql6k/machine-h46dc',
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      target: 'machine-h46dc in prod-east',
      createdAt: new Date().toISOString(),
      plan: { resourceVersion: '1', complete },
    });
  const click = async (value: string, userId: string, actionId = 'approve_patch') => {
    const body = buttonClickBody({ actionId, value, userId });
    return postToBot(url, body, signedHeaders(SECRET, body));
  };

  it('an expired plan: the click is acked and the clicker told to run the diagnosis again', async () => {
    const before = slack.callsOf('chat.postEphemeral').length;
    const res = await click('planThatExpired', 'U0CAROL');
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.callsOf('chat.postEphemeral').length > before);
    const reply = slack.callsOf('chat.postEphemeral').at(-1)!;
    expect(reply.args.user).toBe('U0CAROL');
    expect(blocksText(reply.args.blocks)).toContain('expired');
  });

  it('approving an incomplete patch (a forged or stale click) is refused and nothing is recorded', async () => {
    const planId = await savePlan(false);
    const n = slack.callsOf('chat.postEphemeral').length;
    const posts = slack.callsOf('chat.postMessage').length;
    const res = await click(planId, 'U0CAROL');
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.callsOf('chat.postEphemeral').length > n);
    expect(blocksText(slack.callsOf('chat.postEphemeral').at(-1)!.args.blocks)).toContain(
      'cannot be approved',
    );
    expect(slack.callsOf('chat.postMessage')).toHaveLength(posts);
    expect(await redis.exists(`${PREFIX}:doctor:object:c-dql6k/machine-h46dc`)).toBe(0);
  });

  it('remediation off (the default): an approver is refused, a non-approver too, and nothing is decided', async () => {
    const planId = await savePlan();
    let n = slack.callsOf('chat.postEphemeral').length;
    await click(planId, 'U0MALLORY');
    await slack.waitFor(() => slack.callsOf('chat.postEphemeral').length > n);
    expect(blocksText(slack.callsOf('chat.postEphemeral').at(-1)!.args.blocks)).toContain(
      'remediation is off',
    );
    n = slack.callsOf('chat.postEphemeral').length;
    const posts = slack.callsOf('chat.postMessage').length;
    await click(planId, 'U0BOB');
    await slack.waitFor(() => slack.callsOf('chat.postEphemeral').length > n);
    expect(blocksText(slack.callsOf('chat.postEphemeral').at(-1)!.args.blocks)).toContain(
      'remediation is off',
    );
    expect(slack.callsOf('chat.postMessage')).toHaveLength(posts);
    expect(await redis.exists(`${PREFIX}:doctor:object:c-dql6k/machine-h46dc`)).toBe(0);
  });
});

describe('Slack failing after the ack', () => {
  const savePlan = (
    kind: 'patch' | 'drain' | 'dismiss' = 'patch',
    plan: Record<string, unknown> | null = { complete: true },
    nodeId = 'machine-h46dc',
  ) =>
    new PlanStore(redis, PREFIX, 60).save({
      kind,
      jobId: 'dtest',
      findingId: `c-dql6k/${nodeId}`,
      clusterId: 'c-dql6k',
      nodeId,
      target: 'machine-h46dc in prod-east',
      createdAt: new Date().toISOString(),
      plan,
    });
  const click = async (value: string, userId: string, actionId: string, responseUrl: string) => {
    const body = buttonClickBody({ actionId, value, userId, responseUrl });
    return postToBot(url, body, signedHeaders(SECRET, body));
  };

  it('the thread post and the report update fail: the approver is told through response_url', async () => {
    const planId = await savePlan('dismiss', null, 'machine-fail');
    const finding = { ...reportWithFinding.findings[0]!, id: 'c-dql6k/machine-fail', nodeId: 'machine-fail' };
    await new ReportStore(redis, PREFIX, 60).save(
      {
        jobId: 'dfail',
        data: job.data,
        report: { ...reportWithFinding, findings: [finding] },
        plans: { [finding.id]: { patch: null, drain: null, dismiss: planId } },
      },
      { channel: 'C0OPS', ts: '1700000000.000100' },
    );
    slack.script('chat.postMessage', { status: 'error', error: 'channel_not_found' });
    slack.script('chat.update', { status: 500 });
    const res = await click(planId, 'U0CAROL', 'dismiss', slack.responseUrl('webapi-thread'));
    expect(res.status).toBe(200);
    await slack.waitFor(
      () =>
        slack.callsOf('response_url').filter((c) => c.args.path === '/response/webapi-thread').length >= 2,
    );
    const answers = await slack.answersAt('webapi-thread');
    expect(answers.map((a) => a.args.text)).toEqual([
      "Slack refused to post the decision in the report's thread",
      'Slack refused to show the decision in the report',
    ]);
    for (const a of answers) expect(a.args.response_type).toBe('ephemeral');
  });

  it('an ephemeral answer that chat.postEphemeral cannot deliver goes through response_url', async () => {
    slack.script('chat.postEphemeral', { status: 'error', error: 'user_not_in_channel' });
    await click('planThatExpired', 'U0CAROL', 'approve_patch', slack.responseUrl('webapi-ephemeral'));
    const [answer] = await slack.answersAt('webapi-ephemeral');
    expect(answer!.args.text).toBe('This plan has expired');
  });
});

describe('Show registration command', () => {
  const saveDrain = () =>
    new PlanStore(redis, PREFIX, 60).save({
      kind: 'drain',
      jobId: 'dtest',
      findingId: 'c-dql6k/machine-h46dc',
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      target: 'machine-h46dc in prod-east',
      createdAt: new Date().toISOString(),
      plan: {
        registration: {
          tokenName: 'default-token',
          roles: ['worker'],
          maskedCommand: 'x --token <registration token>',
        },
      },
    });
  const click = async (value: string, userId: string, id: string) => {
    const body = buttonClickBody({
      actionId: 'show_registration',
      value,
      userId,
      responseUrl: slack.responseUrl(id),
    });
    return postToBot(url, body, signedHeaders(SECRET, body));
  };

  it('a non-approver is refused, only to them; nothing goes to the channel', async () => {
    const planId = await saveDrain();
    const posts = slack.callsOf('chat.postMessage').length;
    expect((await click(planId, 'U0MALLORY', 'show-refused')).status).toBe(200);
    const [answer] = await slack.answersAt('show-refused');
    expect(answer!.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(answer!.args.blocks)).toContain(
      'Only the configured approvers can see the registration command',
    );
    expect(slack.callsOf('chat.postMessage')).toHaveLength(posts);
  });

  it('an approver, with no access to the local cluster in this bot, is pointed to Rancher', async () => {
    const planId = await saveDrain();
    await click(planId, 'U0CAROL', 'show-noaccess');
    const [answer] = await slack.answersAt('show-noaccess');
    expect(blocksText(answer!.args.blocks)).toContain('Cluster Management → c-dql6k → Registration');
  });
});

describe('Redis down', () => {
  it('the ack says the queue is unreachable, at once', async () => {
    const down = await startRoles(
      'bot',
      env({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: `${PREFIX}-down` }),
      NO_ENGINE,
    );
    try {
      const body = slashCommandBody({ text: 'diagnose c-dql6k' });
      const res = await postToBot(
        `http://127.0.0.1:${down.port}/slack/events`,
        body,
        signedHeaders(SECRET, body),
      );
      expect(res.status).toBe(200);
      expect(res.body).toContain('cannot be reached');
      const status = slashCommandBody({ text: 'status' });
      const res2 = await postToBot(
        `http://127.0.0.1:${down.port}/slack/events`,
        status,
        signedHeaders(SECRET, status),
      );
      expect(res2.body).toContain('cannot be reached');
    } finally {
      await down.shutdown();
    }
  });
});
