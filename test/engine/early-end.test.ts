import { afterEach, describe, expect, it } from '@jest/globals';
import { runDiagnosis } from '../../src/engine/run.js';
import type { EarlyEndRule } from '../../src/diagnosis/loop-rule.js';
import type { ProgressEvent } from '../../src/diagnosis/types.js';
import { startGround, type Ground } from '../diagnosis/support.js';

const CLUSTER = 'c-dql6k';
const BROKEN = 'machine-h46dc';

/**
 * The early end's bar, lowered in its span only (the product's: 30 writes over 10 s at 3 times the
 * rule's rate) so that a test waits a second rather than ten; the window asked is long enough
 * that a watch that did not end early would fail the test's timeout, not pass it late.
 */
const EARLY: EarlyEndRule = { minWrites: 30, minSeconds: 1, rateFactor: 3 };

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

function watchEvents(events: ProgressEvent[]) {
  return events.filter((e) => e.stage === 'watching-churn');
}

describe('the churn watch ends as soon as the loop is plain', () => {
  it('a loop: the watch ends early, says why, and the report has the loop', async () => {
    const g = (ground = await startGround({ loopIntervalMs: 10 }));
    const events: ProgressEvent[] = [];
    const report = await runDiagnosis(
      g.ports,
      { watchSeconds: 600, cluster: CLUSTER, earlyEnd: EARLY, churnProgressEveryMs: 200 },
      (e) => events.push(e),
    );
    expect(report.scope.watchEnd).toMatchObject({
      reason: 'conclusive',
      object: { key: `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${BROKEN}` },
    });
    expect(report.scope.watchedSeconds).toBeLessThan(600);
    const last = watchEvents(events).at(-1)!;
    expect(last.watch?.ended?.reason).toBe('conclusive');
    expect(last.detail).toMatch(
      new RegExp(
        `: ended early, the loop plain: ${CLUSTER}/${BROKEN} written \\d+ times in \\d+ s \\([\\d,]+/min\\)$`,
      ),
    );
    // The watch ended after the other reads, never before: the node objects were read.
    const nodesRead = events.findIndex((e) => e.detail.endsWith('node objects read'));
    expect(nodesRead).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(last)).toBeGreaterThan(nodesRead);
    const churn = report.activity.find((a) => a.source === 'churn')!;
    expect(churn.description).toMatch(/for \d+s \(ended early, the loop plain: 600s asked\)$/);
    const finding = report.findings.find((f) => f.id === `${CLUSTER}/${BROKEN}`)!;
    const sighting = finding.writeRates!.find((s) => s.source === 'churn')!;
    expect(sighting.writes).toBeGreaterThanOrEqual(30);
    expect(sighting.observedSeconds).toBeGreaterThanOrEqual(1);
    // What each write changed was compared, version after version.
    expect(sighting.fieldChanges?.compared).toBe(sighting.writes - 1);
  });

  it('a quiet cluster: the whole window, and the progress says so', async () => {
    const g = (ground = await startGround());
    const events: ProgressEvent[] = [];
    const report = await runDiagnosis(
      g.ports,
      { watchSeconds: 2, cluster: CLUSTER, earlyEnd: EARLY, churnProgressEveryMs: 200 },
      (e) => events.push(e),
    );
    expect(report.scope).toMatchObject({
      watchSeconds: 2,
      watchedSeconds: 2,
      watchEnd: { reason: 'window' },
    });
    expect(watchEvents(events).at(-1)!.detail).toBe(
      '0 updates of 0 objects in 2s: the whole window, no loop plain before its end',
    );
  });

  it('a loop that starts mid-window is caught, and the watch then ends', async () => {
    const g = (ground = await startGround());
    const events: ProgressEvent[] = [];
    let ticks = 0;
    const report = await runDiagnosis(
      g.ports,
      { watchSeconds: 600, cluster: CLUSTER, earlyEnd: EARLY, churnProgressEveryMs: 200 },
      (e) => {
        events.push(e);
        // Quiet for a few of the watch's reports, then the loop starts.
        if (e.stage === 'watching-churn' && e.watch && e.watch.secondsLeft > 0 && ++ticks === 3)
          g.standin.loop.start(10);
      },
    );
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(report.scope.watchEnd?.reason).toBe('conclusive');
    const finding = report.findings.find((f) => f.id === `${CLUSTER}/${BROKEN}`)!;
    const churn = finding.writeRates!.find((s) => s.source === 'churn')!;
    // Measured over its own span, not over the quiet part of the window before it.
    expect(churn.writesPerMinute).toBeGreaterThanOrEqual(3 * 20);
    expect(Date.parse(churn.firstSeen!)).toBeGreaterThan(Date.parse(report.startedAt));
  });

  it('with the early end turned off, a loop gets the whole window', async () => {
    const g = (ground = await startGround({ loopIntervalMs: 10 }));
    const report = await runDiagnosis(g.ports, { watchSeconds: 2, cluster: CLUSTER, earlyEnd: null });
    expect(report.scope).toMatchObject({ watchedSeconds: 2, watchEnd: { reason: 'window' } });
    expect(report.findings.map((f) => f.id)).toContain(`${CLUSTER}/${BROKEN}`);
  });
});
