import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { AuditLog } from '../../src/queue/audit-log.js';
import { DecisionStore } from '../../src/queue/decision-store.js';
import { JobMessageStore } from '../../src/queue/message-store.js';
import { PlanStore } from '../../src/queue/plan-store.js';
import { REMEDIATION_QUEUE } from '../../src/queue/remediation-queue.js';
import { ReportStore } from '../../src/queue/report-store.js';
import type { AuditEntry } from '../../src/remediation/approval/audit.js';
import type { RemediationExecutor } from '../../src/remediation/approval/executor.js';
import { pino } from 'pino';
import { NO_ENGINE } from '../support/bot-env.js';
import { SlackApiStandin, blocksText } from '../support/slack-api.js';
import { buttonClickBody, postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { finding, job, reportWithFinding } from './fixtures.js';
import { deleteKeys } from '../support/redis.js';

const SECRET = 'test-signing-secret';
const PREFIX = `t-approvals-${process.pid}`;
const CLUSTER = 'c-dql6k';

let slack: SlackApiStandin;
let roles: RunningRoles;
let url: string;
let redis: Redis;
let queue: Queue;
let decisions: DecisionStore;
let audit: AuditLog;

/** A cluster executor that counts its calls: one write per decision is what the tests look for. */
const executed: { step: 'patch' | 'drain' | 'verify'; decisionId: string }[] = [];
const executor: RemediationExecutor = {
  applyPatch: async (req) => {
    executed.push({ step: 'patch', decisionId: req.decisionId });
    return {
      outcome: 'applied',
      resourceVersionBefore: '884213',
      resourceVersionAfter: '884240',
      before: { metadata: { name: req.nodeId } },
      patch: { spec: { customConfig: {} } },
      diff: '+ spec.customConfig: {...}',
      attempts: 1,
    };
  },
  applyDrain: async (req) => {
    executed.push({ step: 'drain', decisionId: req.decisionId });
    return { outcome: 'refused', reason: 'the test executor does not drain' };
  },
  verify: async (req) => {
    executed.push({ step: 'verify', decisionId: req.decisionId });
    return { outcome: 'stopped', writesPerMinute: 2, siblingWritesPerMinute: 2, watchedSeconds: 10 };
  },
};
const executedOn = (node: string, step?: string) =>
  executed.filter((e) => e.decisionId.startsWith(`${CLUSTER}/${node}#`) && (!step || e.step === step));

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function auditOf(node: string): Promise<AuditEntry[]> {
  return (await audit.latest(1000)).filter((e) => e.nodeId === node);
}

interface Seeded {
  node: string;
  reports: { jobId: string; ts: string; plans: { patch: string; drain: string; dismiss: string } }[];
}

let seeded = 0;
/** Two reports of the same node (an all-clusters and a one-cluster diagnosis), each with its message. */
async function seed(node: string, opts: { requestedBy?: string; createdAt?: string } = {}): Promise<Seeded> {
  seeded++;
  const f = { ...finding, id: `${CLUSTER}/${node}`, nodeId: node };
  const report = { ...reportWithFinding, findings: [f] };
  const plans = new PlanStore(redis, PREFIX, 3600);
  const reports = new ReportStore(redis, PREFIX, 3600);
  const messages = new JobMessageStore(redis, PREFIX, 3600);
  const out: Seeded = { node, reports: [] };
  for (const n of [1, 2]) {
    const jobId = `d${seeded}r${n}`;
    const ts = `170000${seeded}.00000${n}`;
    const base = {
      jobId,
      findingId: f.id,
      clusterId: CLUSTER,
      nodeId: node,
      target: `${node} in prod-east`,
      createdAt: opts.createdAt ?? new Date().toISOString(),
      requestedBy: opts.requestedBy ?? 'U0ALICE',
      writesPerMinute: 1190,
    };
    const ids = {
      patch: await plans.save({ ...base, kind: 'patch', plan: { ...f.patchPlan!, nodeId: node } }),
      drain: await plans.save({ ...base, kind: 'drain', plan: { ...f.drainPlan! } }),
      dismiss: await plans.save({ ...base, kind: 'dismiss', plan: null }),
    };
    const data = { ...job.data, requestedBy: base.requestedBy };
    await reports.save({ jobId, data, report, plans: { [f.id]: ids } }, { channel: 'C0OPS', ts });
    await messages.ensure(jobId, async () => ({ channel: 'C0OPS', ts }));
    out.reports.push({ jobId, ts, plans: ids });
  }
  return out;
}

async function click(actionId: string, value: string, userId: string, messageTs = '1700000000.000100') {
  const body = buttonClickBody({ actionId, value, userId, messageTs });
  const res = await postToBot(url, body, signedHeaders(SECRET, body));
  expect(res.status).toBe(200);
}

const ephemeralsTo = (user: string) =>
  slack
    .callsOf('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => blocksText(c.args.blocks));

const updatesOf = (ts: string) =>
  slack
    .callsOf('chat.update')
    .filter((c) => c.args.ts === ts)
    .map((c) => blocksText(c.args.blocks));

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  roles = await startRoles(
    'serve',
    {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      PORT: '0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: PREFIX,
      REMEDIATION_ENABLED: 'true',
      APPROVERS: 'U0CAROL,U0DAVE,S0APPROVE',
      APPROVALS_REQUIRED_DRAIN: '2',
      VERIFY_AFTER: '0s',
    },
    NO_ENGINE,
    executor,
  );
  url = `http://127.0.0.1:${roles.port}/slack/events`;
  queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: PREFIX });
  decisions = new DecisionStore(redis, PREFIX, 3600);
  audit = new AuditLog(redis, PREFIX, pino({ level: 'silent' }), {
    retentionSeconds: 3600,
    maxEntries: 1000,
  });
});

afterAll(async () => {
  await roles.shutdown();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await deleteKeys(redis, `${PREFIX}*`);
  redis.disconnect();
  await slack.close();
});

describe('one decision per node', () => {
  it('Approve patch, Approve drain and Dismiss at the same moment on two reports: one decision, the others told it', async () => {
    const s = await seed('machine-race');
    const [a, b] = s.reports;
    await Promise.all([
      click('approve_patch', a!.plans.patch, 'U0CAROL', a!.ts),
      click('approve_drain', b!.plans.drain, 'U0BOB', b!.ts),
      click('dismiss', b!.plans.dismiss, 'U0DAVE', b!.ts),
    ]);
    await until('three audit entries', async () => (await auditOf(s.node)).length >= 3);
    const state = await decisions.get({ clusterId: CLUSTER, nodeId: s.node });
    expect(state?.count).toBe(1);
    const entries = await auditOf(s.node);
    expect(entries.filter((e) => e.event === 'refusal')).toHaveLength(2);
    const winner = entries.find((e) => e.event !== 'refusal')!;
    const losers = ['U0CAROL', 'U0BOB', 'U0DAVE'].filter((u) => u !== winner.slackUser);
    // A loser is told its click changed nothing: the node holds a decision, or, when the Dismiss
    // came first, the request the report made is closed.
    for (const u of losers)
      await until(`${u} told`, () =>
        ephemeralsTo(u).some((t) => /already has a decision|This request is closed/.test(t)),
      );
    // Every message showing the node is rebuilt with the decision in place of the buttons.
    for (const r of s.reports) {
      await until(`report ${r.ts} rebuilt`, () =>
        updatesOf(r.ts).some((t) => /approved by|Dismissed by/.test(t)),
      );
    }
    if (state?.current?.kind === 'patch')
      await until('the patch applied', () => executedOn(s.node, 'patch').length === 1);
    const jobs = (await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed'])).filter((j) =>
      j.id?.includes(`~${s.node}~`),
    );
    expect(jobs.filter((j) => j.name === 'apply').length).toBe(state?.current?.kind === 'dismiss' ? 0 : 1);
  });

  it('ten clicks at once, on both reports: one job, one write; the thread has the result and the loop measured again', async () => {
    const s = await seed('machine-ten');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const r = s.reports[i % 2]!;
        return click('approve_patch', r.plans.patch, i % 3 ? 'U0CAROL' : 'U0BOB', r.ts);
      }),
    );
    await until('verified', async () => {
      const state = await decisions.get({ clusterId: CLUSTER, nodeId: s.node });
      return state?.current?.verification !== null && state?.current?.verification !== undefined;
    });
    expect(executedOn(s.node, 'patch')).toHaveLength(1);
    expect(executedOn(s.node, 'verify')).toHaveLength(1);
    const state = await decisions.get({ clusterId: CLUSTER, nodeId: s.node });
    expect(state).toMatchObject({
      count: 1,
      current: { status: 'finished', result: { outcome: 'applied' } },
    });
    const decidedIn = s.reports.find((r) => r.jobId === state!.current!.diagnosisJobId)!;
    await until('the loop measured in the thread', () =>
      slack
        .callsOf('chat.postMessage')
        .some((c) => c.args.thread_ts === decidedIn.ts && blocksText(c.args.blocks).includes('Loop stopped')),
    );
    for (const r of s.reports)
      await until(`headline of ${r.ts}`, () => updatesOf(r.ts).some((t) => t.includes('— fixed')));
    const trail = await auditOf(s.node);
    const result = trail.find((e) => e.event === 'result')!;
    expect(result).toMatchObject({ resourceVersionBefore: '884213', resourceVersionAfter: '884240' });
    expect(result.before).toEqual({ metadata: { name: s.node } });
    // Whose approval it was, apart from the identity it wrote as (a drain's entry says the same).
    expect(result.approvedBy).toEqual([state!.current!.approvals[0]!.userId]);
    expect(['U0BOB', 'U0CAROL']).toContain(result.approvedBy![0]);
    expect(trail.some((e) => e.event === 'verification')).toBe(true);
  });

  it('two approvals required: one does nothing yet, the same person twice counts once, a second person completes it', async () => {
    const s = await seed('machine-two');
    const [a, b] = s.reports;
    await click('approve_drain', a!.plans.drain, 'U0CAROL', a!.ts);
    await until('1 of 2 shown', () =>
      updatesOf(a!.ts).some((t) => t.includes('*1 of 2*: approved by <@U0CAROL>')),
    );
    // The button stays for the second person, on both reports.
    await until('1 of 2 on the other report', () => updatesOf(b!.ts).some((t) => t.includes('*1 of 2*')));
    await click('approve_drain', b!.plans.drain, 'U0CAROL', b!.ts);
    await until('told once is enough', () =>
      ephemeralsTo('U0CAROL').some((t) => t.includes('approved this already')),
    );
    expect(executedOn(s.node)).toHaveLength(0);
    expect((await decisions.get({ clusterId: CLUSTER, nodeId: s.node }))?.current?.approvals).toHaveLength(1);
    await click('approve_drain', b!.plans.drain, 'U0BOB', b!.ts);
    await until('the drain carried out', () => executedOn(s.node, 'drain').length === 1);
  });
});

describe('refused clicks: nothing executed, an audit entry each', () => {
  it('a non-approver, the requester, a forged plan id, an expired request, a rejected one', async () => {
    const countsBefore = await approvalCounts();
    const s = await seed('machine-no', { requestedBy: 'U0CAROL' });
    const [a] = s.reports;
    await click('approve_patch', a!.plans.patch, 'U0MALLORY', a!.ts);
    await until('non-approver told', () =>
      ephemeralsTo('U0MALLORY').some((t) => t.includes('not an approver for the patch')),
    );
    await click('approve_patch', a!.plans.patch, 'U0CAROL', a!.ts);
    await until('requester told', () =>
      ephemeralsTo('U0CAROL').some((t) => t.includes('You asked for this diagnosis')),
    );
    const refusals = (await auditOf(s.node)).filter((e) => e.event === 'refusal');
    expect(refusals.map((e) => e.slackUser).sort()).toEqual(['U0CAROL', 'U0MALLORY']);

    const before = (await audit.latest(1000)).length;
    await click('approve_patch', 'forgedPlanId00000000', 'U0DAVE');
    await until('forged refused', async () => (await audit.latest(1000)).length > before);
    expect((await audit.latest(1))[0]).toMatchObject({ event: 'refusal', slackUser: 'U0DAVE', nodeId: null });
    expect(ephemeralsTo('U0DAVE').at(-1)).toContain('expired');

    const old = await seed('machine-old', { createdAt: new Date(Date.now() - 3600_000).toISOString() });
    await click('approve_patch', old.reports[0]!.plans.patch, 'U0BOB', old.reports[0]!.ts);
    await until('expired told', () =>
      ephemeralsTo('U0BOB').some((t) => t.includes('time to approve this fix has passed')),
    );
    expect((await auditOf(old.node)).map((e) => e.event)).toEqual(['refusal']);

    const rej = await seed('machine-rej');
    const [r] = rej.reports;
    await click('approve_drain', r!.plans.drain, 'U0BOB', r!.ts);
    await until('1 of 2', async () => (await auditOf(rej.node)).length === 1);
    await click('reject', r!.plans.drain, 'U0DAVE', r!.ts);
    await until('rejected', async () => (await auditOf(rej.node)).some((e) => e.event === 'rejection'));
    await until('the report says so', () =>
      updatesOf(r!.ts).some((t) => t.includes('rejected by <@U0DAVE>')),
    );
    await click('approve_drain', r!.plans.drain, 'U0CAROL', r!.ts);
    await until('closed told', () =>
      ephemeralsTo('U0CAROL').some((t) => t.includes('This request is closed')),
    );
    expect((await auditOf(rej.node)).map((e) => e.event)).toEqual(['refusal', 'rejection', 'approval']);

    for (const node of [s.node, old.node, rej.node]) expect(executedOn(node)).toHaveLength(0);

    // Each click counted once in approvals_total, a refusal with its reason.
    const counts = await approvalCounts();
    const added = Object.fromEntries(
      Object.entries(counts)
        .map(([series, n]) => [series, n - (countsBefore[series] ?? 0)])
        .filter(([, n]) => n !== 0),
    );
    expect(added).toEqual({
      '{fix="patch",outcome="refused",reason="not-approver"}': 1,
      '{fix="patch",outcome="refused",reason="self-approval"}': 1,
      // The forged plan id (no such plan) and the request whose time ran out.
      '{fix="patch",outcome="refused",reason="expired"}': 2,
      '{fix="drain",outcome="counted"}': 1,
      '{fix="drain",outcome="rejected"}': 1,
      // An approval of a request closed by the rejection.
      '{fix="drain",outcome="refused",reason="stale"}': 1,
    });
  });
});

/** rancher_doctor_approvals_total's series (their labels) and values, scraped from /metrics. */
async function approvalCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${roles.metricsPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^rancher_doctor_approvals_total(\{[^}]*\}) (\d+)$/gm))
    counts[m[1]!] = Number(m[2]);
  return counts;
}

describe('/rancher audit', () => {
  const command = async (text: string, userId: string) => {
    const body = slashCommandBody({ text, userId });
    return postToBot(url, body, signedHeaders(SECRET, body));
  };
  it('shows approvers the latest entries, ephemeral; refuses others', async () => {
    const mine = await command('audit 5', 'U0CAROL');
    expect(mine.json).toMatchObject({ response_type: 'ephemeral' });
    expect(blocksText((mine.json as { blocks: unknown }).blocks)).toContain('*refusal*');
    const theirs = await command('audit', 'U0MALLORY');
    expect(blocksText((theirs.json as { blocks: unknown }).blocks)).toContain(
      'Only approvers can read the audit trail',
    );
    expect(JSON.stringify(await audit.latest(1000))).not.toContain('xoxb');
  });
});
