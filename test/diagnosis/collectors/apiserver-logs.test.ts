import { afterEach, describe, expect, it } from '@jest/globals';
import { apiserverLogs } from '../../../src/diagnosis/collectors/apiserver-logs.js';
import type { Pod } from '../../../src/diagnosis/objects.js';
import type { DiagnosisPorts } from '../../../src/diagnosis/ports.js';
import type { ProgressEvent } from '../../../src/diagnosis/types.js';
import { runDiagnosis } from '../../../src/engine/run.js';
import { podSchema } from '../../../src/rancher/schemas.js';
import { startGround, type Ground } from '../support.js';
import { collectRun, contextOf } from './context.js';

const CLUSTER = 'c-dql6k';
const BROKEN = 'machine-h46dc';
const NODE_PATH = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${BROKEN}`;

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

function apiserverPod(name: string): Pod {
  return podSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels: { component: 'kube-apiserver' } },
    spec: { nodeName: name, containers: [{ name: 'kube-apiserver' }] },
    status: { phase: 'Running', hostIP: '10.0.0.6' },
  });
}

/** CRI lines of `count` PUTs of the node object, all within the last full minute. */
/** `count` PUTs spread evenly over the last whole minute, from `offsetMs` into it. */
function putLines(count: number, offsetMs = 0): string {
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  let out = '';
  for (let i = 0; i < count; i++) {
    const at = new Date(minute + offsetMs + Math.floor((i * 60_000) / count)).toISOString();
    const klog = `I${at.slice(5, 7)}${at.slice(8, 10)} ${at.slice(11, 23)}000       1 httplog.go:132]`;
    out += `${at} stderr F ${klog} "HTTP" verb="PUT" URI="${NODE_PATH}" latency="2ms" userAgent="rancher" audit-ID="a-${i}" srcIP="10.42.0.15:5" resp=200\n`;
  }
  return out;
}

/** Just enough of the ports for the log reading: pods whose logs are the given texts. */
function fakePorts(logs: Record<string, string>): DiagnosisPorts {
  return {
    local: {
      listApiserverPods: () => Promise.resolve(Object.keys(logs).map(apiserverPod)),
      streamPodLog: (pod: Pod, options: { limitBytes?: number }, sink: (chunk: Buffer) => void) => {
        const all = Buffer.from(logs[pod.metadata.name]!);
        // As the apiserver does: stop at limitBytes, mid-line if need be, without saying so.
        sink(all.subarray(0, Math.min(all.length, options.limitBytes ?? Infinity)));
        return Promise.resolve();
      },
    },
  } as unknown as DiagnosisPorts;
}

async function gather(logs: Record<string, string>, limitBytes?: number) {
  const progress: ProgressEvent[] = [];
  const run = collectRun(fakePorts(logs), { sinceSeconds: 1800, apiserverLogLimitBytes: limitBytes }, (e) =>
    progress.push(e),
  );
  const { activity } = await apiserverLogs.collect(contextOf(run, { clusterId: null }));
  return { evidence: activity ?? [], problems: run.problems, progress };
}

describe('log evidence from several kube-apiserver pods', () => {
  it('adds up the pods: 40 writes/min on each of two pods is one object hot at 80/min', async () => {
    // Alone, each pod's 40 writes a minute stay under the 60/min threshold.
    const one = await gather({ 'kube-apiserver-a': putLines(40) });
    expect(one.evidence[0]!.summary.hot).toEqual([]);

    const { evidence, problems } = await gather({
      'kube-apiserver-a': putLines(40),
      // Half a write's interval later: the pods' writes interleave, as a load balancer spreads them.
      'kube-apiserver-b': putLines(40, 750),
    });
    expect(problems).toEqual([]);
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.description).toBe(
      'logs of kube-system/kube-apiserver-a, kube-system/kube-apiserver-b (summed: each request is served by one apiserver), last 1800s',
    );
    expect(evidence[0]!.summary.hot).toHaveLength(1);
    expect(evidence[0]!.summary.hot[0]).toMatchObject({ key: NODE_PATH, writes: 80, writesPerMinute: 80 });
    expect(evidence[0]!.summary.requestsCounted).toBe(80);
  });

  it('against the stand-in: every write the loop made counts, whichever apiserver logged it', async () => {
    const g = (ground = await startGround());
    g.standin.create('local', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'kube-apiserver-rancher-2',
        namespace: 'kube-system',
        labels: { component: 'kube-apiserver', tier: 'control-plane' },
      },
      spec: { nodeName: 'rancher-2', containers: [{ name: 'kube-apiserver', image: 'kube-apiserver' }] },
      status: { phase: 'Running', hostIP: '10.0.0.6' },
    });
    g.standin.loop.tick(300);
    const perPod = ['kube-apiserver-rancher-1', 'kube-apiserver-rancher-2'].map(
      (pod) =>
        g.standin
          .podLog('local', 'kube-system', pod, 'kube-apiserver')
          .filter((l) => l.includes('httplog') && l.includes(`PUT" URI="${NODE_PATH}"`)).length,
    );
    expect(perPod[0]).toBeGreaterThan(100);
    expect(perPod[1]).toBeGreaterThan(100);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0, cluster: CLUSTER });
    const finding = report.findings.find((f) => f.id === `${CLUSTER}/${BROKEN}`);
    expect(finding?.writeRate?.source).toBe('apiserver-pod-logs');
    expect(finding?.writeRate?.writes).toBe(perPod[0]! + perPod[1]!);
    expect(finding?.writeRates?.[0]?.description).toContain('kube-apiserver-rancher-2');
  });
});

describe('a pod log cut at the read limit', () => {
  it('is said in the problems: which pod, how much was read', async () => {
    const log = putLines(100);
    const limit = 4096;
    expect(log.length).toBeGreaterThan(limit);
    const { evidence, problems, progress } = await gather({ 'kube-apiserver-a': log }, limit);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ target: 'log of kube-system/kube-apiserver-a', status: null });
    expect(problems[0]!.message).toContain('cut after 4.0 KiB');
    expect(problems[0]!.message).toContain('newest lines were not read');
    expect(problems[0]!.hint).toMatch(/--since|--log-file/);
    expect(evidence[0]!.description).toContain('kube-apiserver-a (cut)');
    expect(progress.some((p) => p.detail.includes('cut at 4.0 KiB'))).toBe(true);
  });

  it('a log shorter than the limit is not reported as cut', async () => {
    const { problems } = await gather({ 'kube-apiserver-a': putLines(10) }, 1024 * 1024);
    expect(problems).toEqual([]);
  });

  it('against the stand-in, through the real pods/log limitBytes', async () => {
    const g = (ground = await startGround());
    g.standin.loop.tick(200);
    const report = await runDiagnosis(g.ports, {
      watchSeconds: 0,
      cluster: CLUSTER,
      apiserverLogLimitBytes: 16 * 1024,
    });
    const problem = report.problems.find((p) => p.target === 'log of kube-system/kube-apiserver-rancher-1');
    expect(problem?.message).toContain('cut after 16.0 KiB');
  });
});

describe('churn watch progress', () => {
  it('reports the time left and the updates seen while the window runs', async () => {
    const g = (ground = await startGround({ loopIntervalMs: 20 }));
    const events: ProgressEvent[] = [];
    await runDiagnosis(g.ports, { watchSeconds: 2, cluster: CLUSTER, churnProgressEveryMs: 300 }, (e) =>
      events.push(e),
    );
    const watching = events.filter((e) => e.stage === 'watching-churn').map((e) => e.detail);
    const ticks = watching.filter((d) => /^\d s left, \d+ updates? of \d+ objects?$/.test(d));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.at(-1)).toMatch(/^\d s left, [1-9]\d* updates? of 1 object$/);
    expect(watching[0]).toBe('2 s left, 0 updates of 0 objects');
    // One looping object: "of 1 object", never "of 1 objects".
    expect(watching.at(-1)).toMatch(
      /^[1-9]\d* updates of 1 object in 2s: the whole window, no loop plain before its end$/,
    );
    const last = events.filter((e) => e.stage === 'watching-churn').at(-1)!;
    expect(last.watch).toMatchObject({ seconds: 2, secondsLeft: 0, objects: 1 });
  });
});
