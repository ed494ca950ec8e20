import { describe, expect, it } from '@jest/globals';
import {
  addLoopingNode,
  alertGroundEachTest,
  blocksText,
  roots,
  stopLoop,
  tsOf,
  updatesOf,
} from './support.js';

const openGround = alertGroundEachTest();

/** The value of one series in a /metrics text; null when absent. */
function value(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/metrics of a worker running the loop detector against the stand-in', () => {
  it('says it leads, how many node objects it watches and how many incidents are open, as they change', async () => {
    const g = await openGround();
    const running = await g.start('worker');
    const scrape = async () => (await fetch(`http://127.0.0.1:${running.metricsPort}/metrics`)).text();
    const listed = g.standin.list('local', '/apis/management.cattle.io/v3/nodes').length;
    expect(listed).toBeGreaterThan(1);
    await until('the detector to lead and list the node objects', async () => {
      const text = await scrape();
      return (
        value(text, 'rancher_doctor_detector_leader') === 1 &&
        value(text, 'rancher_doctor_detector_objects_watched') === listed
      );
    });
    expect(value(await scrape(), 'rancher_doctor_incidents_open')).toBe(0);

    g.standin.loop.start(50);
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 30000, 'the alert');
    const ts = tsOf(roots(g.slack.calls)[0]!);
    await until(
      'one incident open',
      async () => value(await scrape(), 'rancher_doctor_incidents_open') === 1,
    );

    g.standin.loop.stop();
    stopLoop(g.standin);
    // An object created after the watch's list (the loop timer stopped: written once, not looping).
    addLoopingNode(g.standin, 'machine-added');
    await until(
      'the added object watched',
      async () => value(await scrape(), 'rancher_doctor_detector_objects_watched') === listed + 1,
    );
    await g.slack.waitFor(
      (calls) => updatesOf(calls, ts).some((c) => blocksText(c.args.blocks).includes('Resolved')),
      30000,
      'the resolved alert',
    );
    await until('no incident open', async () => value(await scrape(), 'rancher_doctor_incidents_open') === 0);
    expect(value(await scrape(), 'rancher_doctor_detector_leader')).toBe(1);
  }, 150000);
});
