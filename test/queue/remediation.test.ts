import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { AuditLog } from '../../src/queue/audit-log.js';
import { DecisionStore } from '../../src/queue/decision-store.js';
import { PlanStore } from '../../src/queue/plan-store.js';
import { RemediationQueue } from '../../src/queue/remediation-queue.js';
import type { RemediationEvent } from '../../src/queue/remediation-reporter.js';
import { startRemediationWorker, type RemediationWorker } from '../../src/queue/remediation-worker.js';
import { applyClick, type ClickOutcome } from '../../src/remediation/approval/decision.js';
import type { RemediationExecutor } from '../../src/remediation/approval/executor.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-remediation-${process.pid}`;
const log = pino({ level: 'silent' });
let redis: Redis;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await deleteKeys(redis, `${PREFIX}*`);
  redis.disconnect();
});

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const plan = (kind: 'patch' | 'drain') => ({
  id: `p-${kind}`,
  kind,
  createdAt: new Date().toISOString(),
  diagnosisJobId: 'd1',
  requestedBy: 'U0ALICE',
});

describe('the decision store', () => {
  it('twenty approvers on twenty connections at once: one decision', async () => {
    const object = { clusterId: 'c-1', nodeId: 'machine-cas' };
    const conns = Array.from({ length: 20 }, () => new Redis('redis://127.0.0.1:6379'));
    try {
      const outcomes = await Promise.all(
        conns.map(async (conn, i) => {
          const store = new DecisionStore(conn, PREFIX, 60);
          const { result } = await store.update(object, (state) => {
            const { next, outcome } = applyClick(state, object, {
              action: 'approve',
              userId: `U${i}`,
              at: new Date().toISOString(),
              plan: plan(i % 2 ? 'patch' : 'drain'),
              required: 1,
              approvalTtlSeconds: 60,
            });
            return { next, result: outcome };
          });
          return result as ClickOutcome;
        }),
      );
      expect(outcomes.filter((o) => o.type === 'approved')).toHaveLength(1);
      expect(outcomes.filter((o) => o.type === 'held')).toHaveLength(19);
      expect((await new DecisionStore(redis, PREFIX, 60).get(object))?.count).toBe(1);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });
});

describe('the remediation worker', () => {
  it('killed between the dry run and the write: the next worker resumes from the journal and writes once', async () => {
    const object = { clusterId: 'c-1', nodeId: 'machine-kill' };
    const prefix = `${PREFIX}-kill`;
    const decisions = new DecisionStore(redis, prefix, 600);
    const plans = new PlanStore(redis, prefix, 600);
    const planId = await plans.save({
      kind: 'patch',
      jobId: 'd1',
      findingId: 'c-1/machine-kill',
      clusterId: object.clusterId,
      nodeId: object.nodeId,
      target: 'machine-kill in c-1',
      createdAt: new Date().toISOString(),
      plan: { complete: true },
    });
    const { result } = await decisions.update(object, (state) => {
      const { next, outcome } = applyClick(state, object, {
        action: 'approve',
        userId: 'U0BOB',
        at: new Date().toISOString(),
        plan: { ...plan('patch'), id: planId },
        required: 1,
        approvalTtlSeconds: 60,
      });
      return { next, result: outcome };
    });
    expect(result.type).toBe('approved');

    const steps: string[] = [];
    let killed = false;
    let reachedWrite: () => void = () => undefined;
    const atWrite = new Promise<void>((r) => (reachedWrite = r));
    // Journals each step as the real executor does: a step found in the journal is not done again.
    const executor: RemediationExecutor = {
      applyPatch: async (_req, journal) => {
        if (!(await journal.get('dry-run'))) {
          steps.push('dry-run');
          await journal.record('dry-run', { resourceVersion: '10' });
        }
        if (!killed) {
          reachedWrite();
          // The worker dies here: this call never returns.
          return new Promise(() => undefined);
        }
        if (!(await journal.get('write'))) {
          steps.push('write');
          await journal.record('write', { resourceVersion: '11' });
        }
        return {
          outcome: 'applied',
          resourceVersionBefore: '10',
          resourceVersionAfter: '11',
          before: {},
          patch: {},
          diff: '',
          attempts: 1,
        };
      },
      verify: async () => ({
        outcome: 'stopped',
        writesPerMinute: 1,
        siblingWritesPerMinute: 1,
        watchedSeconds: 1,
      }),
    };
    const events: RemediationEvent[] = [];
    const queue = new RemediationQueue(redis, { prefix, retentionSeconds: 600 });
    const trail = new AuditLog(redis, prefix, log, { retentionSeconds: 600, maxEntries: 1000 });
    const start = (connection: Redis): RemediationWorker =>
      startRemediationWorker({
        connection,
        prefix,
        decisions,
        plans,
        audit: trail,
        queue,
        executor,
        reporter: { changed: async (_o, _s, e) => void events.push(e) },
        log,
        verifyAfterSeconds: 3600,
        journalTtlSeconds: 600,
        lockDurationMs: 1000,
        stalledIntervalMs: 500,
      });
    const firstConn = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    const first = start(firstConn);
    await queue.enqueue(object, (await decisions.get(object))!.current!);
    await atWrite;
    // As a SIGKILL leaves it: the connection gone, the job's lock left to expire.
    firstConn.disconnect();
    // Its processor never returns: only a forced close lets it go.
    await first.worker.close(true).catch(() => undefined);
    killed = true;
    const secondConn = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    const second = start(secondConn);
    try {
      await until('finished', async () => (await decisions.get(object))?.current?.status === 'finished');
      // The decision closes first, then the audit entry, then the report of it.
      await until('the result reported', () => events.includes('result'));
      expect(steps).toEqual(['dry-run', 'write']);
      // The trail tells the start and the resumption apart, and has one result.
      const mine = (await trail.latest(50)).filter((e) => e.nodeId === object.nodeId).reverse();
      expect(mine.map((e) => [e.event, e.detail])).toEqual([
        ['execution', 'carrying out the patch'],
        [
          'execution',
          'resuming the patch: it was started before, and the steps recorded then are not done again',
        ],
        ['result', 'applied'],
      ]);
    } finally {
      await second.close();
      secondConn.disconnect();
      await queue.queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
