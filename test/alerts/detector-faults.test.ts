import { afterEach, describe, expect, it } from '@jest/globals';
import { CLUSTER_SIGNAL_FINGERPRINT } from '../../src/alerts/cluster-signal.js';
import type { Standin } from '../standin/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { detectorGround, type DetectorGround } from './detector-ground.js';
import { addLoopingNode, ALERT_CHANNEL, blocksText, roots, tsOf, updatesOf } from './support.js';

/**
 * The detector against an apiserver in trouble: the stand-in stops answering, expires the watch's
 * resourceVersion, answers 429 with Retry-After and 503, restarts. Waits are counted on the
 * sources' clock and in the stand-in's request log, never timed.
 */

const NODES = '/apis/management.cattle.io/v3/nodes';
const SHORT_BACKOFF = { backoff: { baseMs: 20, maxMs: 200 } };

let ground: DetectorGround | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

const isNodeList = (r: Standin['requests'][number]) =>
  r.method === 'GET' && r.path === NODES && r.query.watch === undefined;
const isNodeWatch = (r: Standin['requests'][number]) => r.path === NODES && r.query.watch === 'true';
const lostContactPosts = (g: DetectorGround) =>
  g.slack.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.channel === ALERT_CHANNEL &&
      blocksText(c.args.blocks).includes('lost contact with the local apiserver'),
  );
const incidentRoot = (g: DetectorGround, words: string) =>
  roots(g.slack.calls).filter((c) => blocksText(c.args.blocks).includes(words));

async function until(what: string, predicate: () => boolean, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A write the node watch does not see (another kind): the cluster's resourceVersion moves past the watch's. */
function bump(standin: Standin, name: string): void {
  standin.create('local', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
}

/** Node objects in a cluster of their own, so that the list takes more than one page of 500. */
function manyNodes(standin: Standin, n: number): void {
  for (let i = 0; i < n; i++)
    standin.create('local', {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Node',
      metadata: { name: `m-bulk${String(i).padStart(5, '0')}`, namespace: 'c-bulk1' },
      spec: { worker: true },
    });
}

describe('the detector when the apiserver stops answering', () => {
  it('says so once after ALERT_LOST_CONTACT, with the last rates it saw; detection goes on when it answers again', async () => {
    const g = (ground = await detectorGround());
    g.start({ sources: SHORT_BACKOFF });
    g.standin.loop.start(50);
    await g.slack.waitFor(() => incidentRoot(g, 'machine-h46dc').length === 1, 30000, 'the loop alert');

    // Every request answered 503, the open watch ended: nothing reaches the detector any more.
    const outage = g.standin.faults.inject({ status: 503, times: Infinity });
    g.standin.endWatches();
    await g.slack.waitFor(() => lostContactPosts(g).length >= 1, 30000, 'the lost-contact notice');
    const notice = blocksText(lostContactPosts(g)[0]!.args.blocks);
    expect(notice).toMatch(/`c-dql6k\/machine-h46dc` [\d,.]+ writes a minute/);
    expect(notice).toMatch(/apiserver last used [\d.]+ MiB/);
    // Many more judgements and refused retries later, it has still been said once only.
    const refused = outage.hits;
    await g.moreIntervals(15);
    await until('more refused retries', () => outage.hits >= refused + 5);
    expect(lostContactPosts(g)).toHaveLength(1);
    // The open incident did not resolve for want of counts.
    const root = incidentRoot(g, 'machine-h46dc')[0]!;
    expect(
      updatesOf(g.slack.calls, tsOf(root)).some((c) => blocksText(c.args.blocks).includes('Resolved')),
    ).toBe(false);

    // It answers again: a loop starting now is found.
    outage.remove();
    addLoopingNode(g.standin, 'machine-again');
    await g.slack.waitFor(
      () => incidentRoot(g, 'machine-again').length === 1,
      30000,
      'the alert after contact',
    );
    expect(lostContactPosts(g)).toHaveLength(1);
  }, 120000);
});

describe('the detector on 410 Gone', () => {
  it('relists in pages (limit and continue) once per expiry, resumes the watch from the new list and goes on counting', async () => {
    const g = (ground = await detectorGround((s) => manyNodes(s, 1100)));
    g.start({ sources: SHORT_BACKOFF });
    await until('the first watch', () => g.standin.requests.some((r) => isNodeWatch(r) && r.status === 200));
    expect(g.standin.requests.filter(isNodeList)).toHaveLength(3);

    // etcd compacted past the watch's resourceVersion, and the watch ended (its timeout): resuming it
    // gets an ERROR event carrying a 410 Expired Status.
    g.standin.clearRequests();
    bump(g.standin, 'bump-1');
    g.standin.compact('local');
    const compactedAt = g.standin.resourceVersion('local');
    g.standin.endWatches();
    await until('the watch after the relist', () => g.standin.requests.filter(isNodeWatch).length >= 2);
    const lists = g.standin.requests.filter(isNodeList);
    expect(lists.map((r) => [r.query.limit, r.query.continue !== undefined])).toEqual([
      ['500', false],
      ['500', true],
      ['500', true],
    ]);
    const [expired, resumed] = g.standin.requests.filter(isNodeWatch);
    expect(Number(expired!.query.resourceVersion)).toBeLessThan(compactedAt);
    expect(Number(resumed!.query.resourceVersion)).toBeGreaterThanOrEqual(compactedAt);

    // A 410 answered to the watch request itself is the same: one relist.
    g.standin.faults.inject({ path: NODES, watch: true, status: 410 });
    g.standin.endWatches();
    await until(
      'the watch after the second relist',
      () => g.standin.requests.filter(isNodeWatch).length >= 4,
    );
    // Not a storm: many judgements later, still two relists of three pages each.
    await g.moreIntervals(10);
    expect(g.standin.requests.filter(isNodeList)).toHaveLength(6);

    g.standin.loop.start(50);
    await g.slack.waitFor(() => incidentRoot(g, 'machine-h46dc').length === 1, 30000, 'the loop alert');
    expect(g.standin.requests.filter(isNodeList)).toHaveLength(6);
  }, 120000);
});

describe('the detector on 429 and 5xx', () => {
  it('waits at least Retry-After on 429 (watch and list), backs off exponentially on 503, then resumes', async () => {
    const clock = new FakeClock(() => 0.999);
    const g = (ground = await detectorGround());
    g.start({ sources: { clock }, settings: { lostContactSeconds: 600 } });
    const watches = () => g.standin.requests.filter(isNodeWatch);
    await until('the first watch', () => watches().some((r) => r.status === 200));

    // 429 with Retry-After: 7, twice.
    const throttled = g.standin.faults.inject({
      path: NODES,
      watch: true,
      status: 429,
      retryAfterSeconds: 7,
      times: 2,
    });
    g.standin.endWatches();
    await until('the first wait', () => clock.waiting === 1 && throttled.hits === 1);
    expect(clock.sleeps).toEqual([7000]);
    await clock.advance(6999);
    await g.moreIntervals(3);
    expect(throttled.hits).toBe(1);
    expect(watches()).toHaveLength(2);
    await clock.advance(1);
    await until('the second wait', () => clock.waiting === 1 && throttled.hits === 2);
    expect(clock.sleeps).toEqual([7000, 7000]);
    await clock.advance(7000);
    await until('the watch back', () => watches().filter((r) => r.status === 200).length === 2);
    expect(watches()).toHaveLength(4);

    // 503 four times: waits of 1, 2, 4, 8 s (the backoff's ceilings: the clock's chance is 0.999).
    const unavailable = g.standin.faults.inject({ path: NODES, watch: true, status: 503, times: 4 });
    g.standin.endWatches();
    for (let i = 1; i <= 4; i++) {
      await until(`503 number ${i}`, () => clock.waiting === 1 && unavailable.hits === i);
      await clock.advance(clock.sleeps.at(-1)!);
    }
    expect(clock.sleeps.slice(2)).toEqual([999, 1998, 3996, 7992]);
    await until('the watch back after 503', () => watches().filter((r) => r.status === 200).length === 3);
    expect(watches()).toHaveLength(9);

    // A relist throttled too: its Retry-After is honoured as well.
    const lists = g.standin.requests.filter(isNodeList).length;
    const listThrottled = g.standin.faults.inject({
      path: NODES,
      watch: false,
      method: 'GET',
      status: 429,
      retryAfterSeconds: 5,
    });
    bump(g.standin, 'bump-2');
    g.standin.compact('local');
    g.standin.endWatches();
    // The 410 first waits its own backoff (a fresh failure count: 1 s), then the list's 429 waits 5 s.
    await until('the wait after 410', () => clock.waiting === 1 && clock.sleeps.length === 7);
    expect(clock.sleeps[6]).toBe(999);
    await clock.advance(999);
    await until('the throttled relist', () => listThrottled.hits === 1 && clock.waiting === 1);
    expect(clock.sleeps.slice(6)).toEqual([999, 5000]);
    await clock.advance(4999);
    await g.moreIntervals(3);
    expect(g.standin.requests.filter(isNodeList).length).toBe(lists + 1);
    await clock.advance(5000);
    await until(
      'the watch back after the relist',
      () => watches().filter((r) => r.status === 200).length === 4,
    );

    // Counting goes on.
    g.standin.loop.start(50);
    await g.slack.waitFor(() => incidentRoot(g, 'machine-h46dc').length === 1, 30000, 'the loop alert');
  }, 120000);
});

describe("the apiserver's /metrics as a signal of its own", () => {
  it('with no watch allowed: one incident for the whole apiserver, a diagnosis of every cluster; a restart is no spike; resolved when the writes fall', async () => {
    const g = (ground = await detectorGround());
    g.standin.faults.forbid({ verb: 'watch', group: 'management.cattle.io', resource: 'nodes' });
    g.start({ sources: SHORT_BACKOFF, settings: { lostContactSeconds: 600 } });
    g.standin.loop.start(50);
    const words = "by the local apiserver's /metrics";
    await g.slack.waitFor(() => incidentRoot(g, words).length === 1, 30000, 'the apiserver-wide alert');
    const root = incidentRoot(g, words)[0]!;
    const text = blocksText(root.args.blocks);
    expect(text).toMatch(/Loop on node objects of every cluster/);
    expect(text).toMatch(/its memory [\d.]+ MiB, \+[\d.]+ [KM]iB in \d+ s/);
    expect(text).toMatch(/the node watch has had no answer since/);
    expect(text).toMatch(/, [\d,.]+ writes a minute, since/);
    await until('the diagnosis asked for', () => g.diagnoses.length === 1);
    expect(g.diagnoses).toEqual([null]);

    // The apiserver restarts mid-loop: its counters start again from zero.
    const before = (await g.store.get(CLUSTER_SIGNAL_FINGERPRINT))!.peakPerMinute!;
    g.standin.restartApiserver();
    await g.moreIntervals(20);
    const after = (await g.store.get(CLUSTER_SIGNAL_FINGERPRINT))!;
    expect(after.writesPerMinute).toBeGreaterThan(0);
    expect(after.peakPerMinute!).toBeLessThan(before * 3);
    expect(g.slack.calls.some((c) => blocksText(c.args.blocks).includes('rate doubled'))).toBe(false);

    g.standin.loop.stop();
    await g.slack.waitFor(
      (calls) => updatesOf(calls, tsOf(root)).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      30000,
      'the resolved alert',
    );
    // One loop, one message: no per-object incident, nothing else posted as a root.
    expect(
      roots(g.slack.calls).filter((c) => !blocksText(c.args.blocks).includes('lost contact')),
    ).toHaveLength(1);
  }, 120000);

  it('while the watch names the object, /metrics opens nothing of its own', async () => {
    const g = (ground = await detectorGround());
    g.start({ sources: SHORT_BACKOFF });
    g.standin.loop.start(50);
    await g.slack.waitFor(() => incidentRoot(g, 'machine-h46dc').length === 1, 30000, 'the loop alert');
    await g.moreIntervals(20);
    expect(roots(g.slack.calls)).toHaveLength(1);
    expect(await g.store.get(CLUSTER_SIGNAL_FINGERPRINT)).toBeNull();
    expect(g.diagnoses).toEqual(['c-dql6k']);
  }, 120000);
});
