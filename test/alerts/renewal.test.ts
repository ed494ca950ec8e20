import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { DiagnosisOutcome } from '../../src/alerts/incident.js';
import { IncidentService } from '../../src/alerts/incidents.js';
import { RedisIncidentStore } from '../../src/queue/incident-store.js';
import { reportWithFinding } from '../slack/fixtures.js';
import { RecordingPublisher } from './recording-publisher.js';
import { deleteKeys } from '../support/redis.js';

const FP = 'node:c-dql6k/machine-h46dc';
const FINDING = reportWithFinding.findings[0]!.id;
const TTL = 30 * 60_000;
const BEFORE = 5 * 60_000;
// Real time: the store gives a snooze a Redis TTL from the real clock.
const T0 = Math.floor(Date.now() / 1000) * 1000;

let redis: Redis;
let prefix: string;
let now: number;
let requests: (string | null)[];
let publisher: RecordingPublisher;
let service: IncidentService;
let store: RedisIncidentStore;
let timers: number[];
let counter = 0;

beforeEach(() => {
  redis = new Redis('redis://127.0.0.1:6379');
  prefix = `t-renewal-${process.pid}-${++counter}`;
  now = T0;
  requests = [];
  timers = [];
  publisher = new RecordingPublisher();
  store = new RedisIncidentStore(redis, { prefix, retentionSeconds: 600 });
  service = new IncidentService({
    store,
    publisher,
    diagnoses: {
      request: async (clusterId) => {
        requests.push(clusterId);
        return { jobId: `j${requests.length}`, queued: true };
      },
    },
    clock: { now: () => now, later: (ms) => void timers.push(ms) },
    summaryAt: 5,
    gatherMs: 1000,
    renewal: { approvalTtlMs: TTL, beforeMs: BEFORE },
  });
});

afterEach(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

/** A report made now, offering the patch and (unless `drain` is false) the drain. */
const outcome = (jobId: string, drain = true): DiagnosisOutcome => ({
  jobId,
  clusterId: 'c-dql6k',
  requestedAt: new Date(now).toISOString(),
  report: { ...reportWithFinding, finishedAt: new Date(now).toISOString() },
  plans: {
    [FINDING]: { patch: `${jobId}-patch`, drain: drain ? `${jobId}-drain` : null, dismiss: `${jobId}-d` },
  },
});

async function diagnosedIncident(): Promise<void> {
  await service.fire({
    fingerprint: FP,
    clusterId: 'c-dql6k',
    objectKey: 'c-dql6k/machine-h46dc',
    source: 'watch',
    summary: 'loop',
    startsAt: new Date(now).toISOString(),
  });
  await service.flush();
  expect(requests).toEqual(['c-dql6k']);
  await service.diagnosed(outcome('j1'));
  expect((await store.get(FP))?.state).toBe('diagnosed');
}

describe("an open incident's plans are renewed before they expire", () => {
  it('renewed by a new diagnosis ahead of APPROVAL_TTL, in place; the thread hears only of a change', async () => {
    await diagnosedIncident();
    // The report schedules the check for when its plans come due.
    expect(timers.at(-1)).toBe(TTL - BEFORE);

    now = T0 + TTL - BEFORE - 1000;
    await service.renewDue();
    expect(requests).toHaveLength(1);

    now = T0 + TTL - BEFORE;
    await service.renewDue();
    await service.renewDue();
    expect(requests).toEqual(['c-dql6k', 'c-dql6k']);
    // Meanwhile the message keeps the report it shows.
    const renewing = (await store.get(FP))!;
    expect(renewing.state).toBe('diagnosed');
    expect(renewing.renewing?.jobId).toBe('j2');

    const edits = publisher.updates.length;
    await service.diagnosed(outcome('j2'));
    expect(publisher.updates.slice(edits).map((u) => u.jobId)).toEqual(['j2']);
    expect(publisher.notes).toEqual([]);
    expect(publisher.reportThreads).toEqual(['j1']);
    expect((await store.get(FP))?.renewing).toBeNull();

    // The next renewal offers less: that is worth a line in the thread.
    now += TTL - BEFORE;
    await service.renewDue();
    await service.diagnosed(outcome('j3', false));
    expect(publisher.notes).toEqual([
      { kind: 'plans-renewed', offered: ['machine-h46dc: patch'], was: ['machine-h46dc: patch or drain'] },
    ]);
    expect(publisher.posts).toBe(1);
  });

  it('a renewal that failed keeps the report shown and is asked for again a minute later', async () => {
    await diagnosedIncident();
    now = T0 + TTL - BEFORE;
    await service.renewDue();
    await service.diagnosisFailed('j2', 'the apiserver did not answer');
    const kept = (await store.get(FP))!;
    expect(kept.state).toBe('diagnosed');
    expect(kept.diagnosis).toEqual({ jobId: 'j1', state: 'done' });
    expect(publisher.notes).toEqual([]);

    await service.renewDue();
    expect(requests).toHaveLength(2);
    now += 60_000;
    await service.renewDue();
    expect(requests).toHaveLength(3);
  });

  it('no renewal once the incident is resolved, snoozed or dismissed', async () => {
    await diagnosedIncident();
    await service.snooze(FP, 3600, 'U0BOB');
    now = T0 + TTL - BEFORE;
    await service.renewDue();
    expect(requests).toHaveLength(1);

    await redis.del(`${prefix}:doctor:alerts:snooze:${FP}`, `${prefix}:doctor:alerts:snoozes`);
    await service.dismissed({ channel: 'C0ALERTS', ts: '1.1' }, 'U0BOB');
    await service.renewDue();
    expect(requests).toHaveLength(1);

    const incident = (await store.get(FP))!;
    await store.put({ ...incident, dismissed: null });
    await service.resolve(FP, new Date(now).toISOString());
    await service.renewDue();
    expect(requests).toHaveLength(1);
  });
});
