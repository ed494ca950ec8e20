import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { DiagnosisOutcome, Incident } from '../../src/alerts/incident.js';
import { rateDoubled } from '../../src/alerts/incident.js';
import { IncidentService, type FireInput, type RemediationNote } from '../../src/alerts/incidents.js';
import type { Decision } from '../../src/remediation/approval/decision.js';
import { RedisIncidentStore } from '../../src/queue/incident-store.js';
import { reportWithFinding } from '../slack/fixtures.js';
import { RecordingPublisher } from './recording-publisher.js';
import { deleteKeys } from '../support/redis.js';

const OBJECT = { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' };
const FP = 'node:c-dql6k/machine-h46dc';
const FINDING = reportWithFinding.findings[0]!.id;
const T0 = Math.floor(Date.now() / 1000) * 1000;

const fireOf = (fingerprint: string, objectKey: string | null): FireInput => ({
  fingerprint,
  clusterId: 'c-dql6k',
  objectKey,
  source: objectKey ? 'watch' : 'alertmanager',
  summary: 'loop',
  startsAt: new Date(T0).toISOString(),
});
const OWN = fireOf(FP, 'c-dql6k/machine-h46dc');

let redis: Redis;
let prefix: string;
let publisher: RecordingPublisher;
let store: RedisIncidentStore;
let jobs: number;
let counter = 0;

const service = () =>
  new IncidentService({
    store,
    publisher,
    diagnoses: { request: async () => ({ jobId: `j${++jobs}`, queued: true }) },
    clock: { now: () => T0, later: () => undefined },
    summaryAt: 5,
    gatherMs: 1000,
  });

beforeEach(() => {
  redis = new Redis('redis://127.0.0.1:6379');
  prefix = `t-incident-thread-${process.pid}-${++counter}`;
  publisher = new RecordingPublisher();
  store = new RedisIncidentStore(redis, { prefix, retentionSeconds: 600 });
  jobs = 0;
});

afterEach(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

const rateNotes = () =>
  publisher.notes.flatMap((n) => (n.kind === 'rate-doubled' ? [[n.wasPerMinute, n.writesPerMinute]] : []));

describe('the rate doubled, in the thread', () => {
  const incident = (told: number | null) => ({ toldPerMinute: told }) as Incident;

  it('the rule: at least twice the rate last told, never from nothing', () => {
    expect(rateDoubled(incident(100), 199)).toBe(false);
    expect(rateDoubled(incident(100), 200)).toBe(true);
    expect(rateDoubled(incident(100), 900)).toBe(true);
    expect(rateDoubled(incident(null), 900)).toBe(false);
    expect(rateDoubled(incident(0), 900)).toBe(false);
  });

  it('told once per doubling of the rate the message last said, not at every measurement', async () => {
    const s = service();
    await s.observe(OWN, 90);
    // The rate moved before the message went out: the message says 100, doublings count from it.
    await s.observe(OWN, 100);
    await s.flush();
    expect((await store.get(FP))?.toldPerMinute).toBe(100);
    for (const r of [150, 190, 199]) await s.observe(OWN, r);
    expect(rateNotes()).toEqual([]);
    for (const r of [200, 210, 300, 399, 200, 120]) await s.observe(OWN, r);
    expect(rateNotes()).toEqual([[100, 200]]);
    // Down and up again to where it was told: no news.
    for (const r of [60, 100, 390]) await s.observe(OWN, r);
    expect(rateNotes()).toEqual([[100, 200]]);
    // One jump of several doublings is one note.
    await s.observe(OWN, 1700);
    expect(rateNotes()).toEqual([
      [100, 200],
      [200, 1700],
    ]);
    // Another process (a restart) measures from what was told, kept in the store.
    for (const r of [1800, 3000]) await service().observe(OWN, r);
    expect(rateNotes()).toHaveLength(2);
    await service().observe(OWN, 3400);
    expect(rateNotes()).toEqual([
      [100, 200],
      [200, 1700],
      [1700, 3400],
    ]);
  });
});

const outcome = (jobId: string): DiagnosisOutcome => ({
  jobId,
  clusterId: 'c-dql6k',
  requestedAt: new Date(T0).toISOString(),
  report: reportWithFinding,
  plans: { [FINDING]: { patch: `${jobId}-patch`, drain: null, dismiss: `${jobId}-d` } },
});

const decision = (diagnosisJobId: string, over: Partial<Decision> = {}): Decision => ({
  number: 1,
  kind: 'patch',
  planId: `${diagnosisJobId}-patch`,
  diagnosisJobId,
  requestedBy: 'U0ALICE',
  required: 1,
  approvals: [{ userId: 'U0ALICE', at: new Date(T0).toISOString() }],
  closedBy: null,
  status: 'finished',
  openedAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + 1_800_000).toISOString(),
  updatedAt: new Date(T0).toISOString(),
  result: null,
  verification: null,
  ...over,
});

const note = (step: RemediationNote['step'], d: Decision): RemediationNote => ({
  kind: 'remediation',
  step,
  decision: d,
  target: 'machine-h46dc in prod-east',
  drainPlan: null,
  at: new Date(T0).toISOString(),
});

/** Incidents shown and diagnosed by job `j1`. */
async function diagnosed(s: IncidentService, ...fires: FireInput[]): Promise<void> {
  for (const f of fires) await s.fire(f);
  await s.flush();
  await s.diagnosed(outcome('j1'));
}

const remediationThreads = () =>
  publisher.threads.flatMap((t) => (t.note.kind === 'remediation' ? [`${t.ts} ${t.note.step}`] : []));

describe("a fix's steps, in the thread of the incidents showing the object", () => {
  it('the own incident and one whose report shows the object hear each step once, in order; another does not', async () => {
    const s = service();
    await diagnosed(s, OWN, fireOf('am:all', null), fireOf('node:c-other/machine-x', 'c-other/machine-x'));
    const byFp = async (fp: string) => (await store.get(fp))!.message!.ts;
    const [own, am, other] = [await byFp(FP), await byFp('am:all'), await byFp('node:c-other/machine-x')];
    const d = decision('j1');
    await s.remediated(OBJECT, note('result', d));
    // The worker tells a step again when its job is resumed: no second reply.
    await s.remediated(OBJECT, note('result', d));
    await s.remediated(OBJECT, note('verified', d));
    expect(remediationThreads().sort()).toEqual(
      [`${own} result`, `${own} verified`, `${am} result`, `${am} verified`].sort(),
    );
    expect(remediationThreads().filter((t) => t.startsWith(own))).toEqual([
      `${own} result`,
      `${own} verified`,
    ]);
    expect(remediationThreads().some((t) => t.startsWith(other))).toBe(false);
    // The next decision on the object is news again.
    await s.remediated(OBJECT, note('result', decision('j1', { number: 2 })));
    expect(remediationThreads().filter((t) => t === `${own} result`)).toHaveLength(2);
  });

  it('resolved before the measurement came: its thread hears it and its message is drawn again', async () => {
    const s = service();
    await diagnosed(s, OWN);
    await s.remediated(OBJECT, note('result', decision('j1')));
    await s.resolve(FP, new Date(T0 + 60_000).toISOString());
    const before = publisher.updates.length;
    await s.remediated(OBJECT, note('verified', decision('j1')));
    expect(remediationThreads().map((t) => t.split(' ')[1])).toEqual(['result', 'verified']);
    const redrawn = publisher.updates.slice(before);
    expect(redrawn).toHaveLength(1);
    expect(redrawn[0]!.incident.state).toBe('resolved');
    expect(redrawn[0]!.jobId).toBe('j1');
  });

  it("a resolved incident hears nothing of a fix decided from another diagnosis's report", async () => {
    const s = service();
    await diagnosed(s, OWN);
    await s.resolve(FP, new Date(T0 + 60_000).toISOString());
    await s.remediated(OBJECT, note('result', decision('j-elsewhere')));
    expect(remediationThreads()).toEqual([]);
  });

  it('no incident of its own: the incident whose report the fix was approved from hears it', async () => {
    const s = service();
    await diagnosed(s, fireOf('node:c-dql6k/machine-x', 'c-dql6k/machine-x'));
    const ts = (await store.get('node:c-dql6k/machine-x'))!.message!.ts;
    await s.remediated(OBJECT, note('result', decision('j-elsewhere')));
    expect(remediationThreads()).toEqual([]);
    await s.remediated(OBJECT, note('result', decision('j1', { number: 2 })));
    expect(remediationThreads()).toEqual([`${ts} result`]);
  });
});
