import { describe, expect, it } from '@jest/globals';
import {
  adviseFix,
  betterFounded,
  collectHeat,
  nodeFinding,
  unknownObjectFinding,
} from '../../src/diagnosis/findings.js';
import { analyzeNode, clusterFacts } from '../../src/diagnosis/nodes.js';
import type {
  ActivitySummary,
  HotObject,
  WriteActivityEvidence,
  WriteSighting,
} from '../../src/diagnosis/types.js';
import { kubeNodeSchema, type KubeNode } from '../../src/rancher/schemas.js';
import { buildPatchPlan } from '../../src/remediation/plans/patch-plan.js';
import { nodeObject, rkeCluster } from './fixtures.js';

function hot(path: string, writesPerMinute: number, subresource: string | null = null): HotObject {
  const parts = path.split('/');
  return {
    key: path + (subresource ? `/${subresource}` : ''),
    ref: {
      group: parts[1] === 'api' ? '' : parts[2]!,
      version: 'v3',
      resource: parts.at(-2)!,
      namespace: parts.includes('namespaces') ? parts[parts.indexOf('namespaces') + 1]! : null,
      name: parts.at(-1)!,
      subresource,
    },
    verbs: { PUT: writesPerMinute },
    writes: writesPerMinute,
    reads: 0,
    firstSeen: null,
    lastSeen: null,
    perMinute: [writesPerMinute],
    perMinuteStart: null,
    rank: 1,
    writesPerMinute,
    rancherNode: null,
  };
}

function evidence(
  source: WriteActivityEvidence['source'],
  signal: ActivitySummary['signal'],
  hots: HotObject[],
): WriteActivityEvidence {
  return {
    source,
    description: source,
    summary: {
      signal,
      signalsSeen: {},
      formats: {},
      bytesRead: 0,
      linesRead: 0,
      linesSkipped: 0,
      requestsCounted: 0,
      distinctObjects: hots.length,
      windowStart: null,
      windowEnd: null,
      hot: hots,
    },
  };
}

const NODE = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';

describe('collectHeat', () => {
  it('keeps the hottest sighting per node (status writes count for the node) and drops slow objects', () => {
    const heat = collectHeat([
      evidence('apiserver-pod-logs', 'satisfied-by', [
        hot(NODE, 300),
        hot('/api/v1/namespaces/x/configmaps/slow', 2),
      ]),
      evidence('churn', 'churn', [hot(NODE, 500, 'status')]),
    ]);
    expect([...heat.keys()]).toEqual([NODE]);
    expect(heat.get(NODE)).toMatchObject({ source: 'churn', signal: 'churn' });
  });

  it("keeps every source's sighting of an object, the best founded (observed longest) first, not the hottest", () => {
    const heat = collectHeat([
      evidence('churn', 'churn', [{ ...hot(NODE, 1188), writes: 99, observedSeconds: 5 }]),
      evidence('apiserver-pod-logs', 'httplog', [
        { ...hot(NODE, 1200), writes: 12000, observedSeconds: 600 },
      ]),
    ]);
    const h = heat.get(NODE)!;
    expect(h.source).toBe('apiserver-pod-logs');
    expect(
      h.sightings.map((s) => [s.source, s.signal, s.writes, s.writesPerMinute, s.observedSeconds]),
    ).toEqual([
      ['apiserver-pod-logs', 'httplog', 12000, 1200, 600],
      ['churn', 'churn', 99, 1188, 5],
    ]);
    expect(h.sightings[0]!.description).toBe('apiserver-pod-logs');
  });

  it('a short log no longer outranks a long watch because its rate is higher', () => {
    const heat = collectHeat([
      evidence('apiserver-pod-logs', 'httplog', [{ ...hot(NODE, 3000), writes: 50, observedSeconds: 1 }]),
      evidence('churn', 'churn', [{ ...hot(NODE, 1200), writes: 1200, observedSeconds: 60 }]),
    ]);
    expect(heat.get(NODE)!.sightings.map((s) => s.source)).toEqual(['churn', 'apiserver-pod-logs']);
  });

  it('a measurement is better founded than a lower bound, however long the bound was watched', () => {
    const sighting = (source: WriteSighting['source'], more: Partial<WriteSighting>): WriteSighting => ({
      writes: 20,
      writesPerMinute: 20,
      source,
      signal: 'churn',
      description: source,
      firstSeen: null,
      lastSeen: null,
      ...more,
    });
    const bound = sighting('churn', { observedSeconds: 3600, lowerBound: true });
    const measured = sighting('apiserver-pod-logs', {
      writes: 100,
      writesPerMinute: 176,
      observedSeconds: 35,
    });
    const longer = sighting('log-files', { writes: 90, writesPerMinute: 90, observedSeconds: 60 });
    const moreWrites = sighting('audit-log', { writes: 200, writesPerMinute: 200, observedSeconds: 60 });
    expect([bound, measured, longer, moreWrites].sort(betterFounded).map((s) => s.source)).toEqual([
      'audit-log',
      'log-files',
      'apiserver-pod-logs',
      'churn',
    ]);
    // Reports made before lowerBound was added have none: measured, as they were.
    expect(betterFounded(measured, { ...measured, lowerBound: undefined })).toBe(0);
  });

  it('a node and its /status, one measured and one a bound, add up to a measurement', () => {
    const heat = collectHeat([
      evidence('churn', 'churn', [
        { ...hot(NODE, 1200), writes: 240, observedSeconds: 12 },
        { ...hot(NODE, 20, 'status'), writes: 20, observedSeconds: 12, lowerBound: true as const },
      ]),
    ]);
    // The bound's 20 a minute is what is known of the /status writes: added, over the measured span.
    expect(heat.get(NODE)!.sightings).toMatchObject([
      { writes: 260, writesPerMinute: 1220, observedSeconds: 12 },
    ]);
    expect(heat.get(NODE)!.sightings[0]!.lowerBound).toBeUndefined();
  });

  it('a node and its /status, both too few to measure, stay a lower bound', () => {
    const heat = collectHeat([
      evidence('churn', 'churn', [
        { ...hot(NODE, 12), writes: 12, observedSeconds: 2, lowerBound: true as const },
        { ...hot(NODE, 10, 'status'), writes: 10, observedSeconds: 2, lowerBound: true as const },
      ]),
    ]);
    expect(heat.get(NODE)!.sightings).toMatchObject([
      { writes: 22, writesPerMinute: 22, observedSeconds: 2, lowerBound: true },
    ]);
  });

  it('adds writes to a node and to its /status within one evidence', () => {
    const heat = collectHeat([
      evidence('apiserver-pod-logs', 'httplog', [hot(NODE, 30), hot(NODE, 25, 'status')]),
    ]);
    expect(heat.get(NODE)!.sightings).toMatchObject([{ writes: 55, writesPerMinute: 55 }]);
    expect(heat.get(NODE)!.hot.ref.subresource).toBeNull();
  });
});

describe('findings', () => {
  const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-east'));
  const broken = nodeObject('machine-h46dc', { hostname: 'worker-3', ip: '10.0.3.17' });
  const sibling = nodeObject('m-aaaaa', { rke: true });

  it('an orphaned machine- node carries both plans, the rate and its source', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, null);
    const [h] = collectHeat([evidence('apiserver-pod-logs', 'httplog', [hot(NODE, 300)])]).values();
    const f = nodeFinding({
      analysis,
      heat: h!,
      agent: null,
      patchPlan: buildPatchPlan(broken, sibling),
      drainPlan: null,
      notes: ['x'],
    });
    expect(f).toMatchObject({
      id: 'c-dql6k/machine-h46dc',
      kind: 'orphaned-machine-node',
      clusterName: 'prod-east',
      hostname: 'worker-3',
      ip: '10.0.3.17',
      writeRate: { writes: 300, writesPerMinute: 300, source: 'apiserver-pod-logs', signal: 'httplog' },
      sibling: { nodeId: 'm-aaaaa' },
    });
    expect(f.patchPlan?.complete).toBe(true);
    expect(f.evidence.map((e) => e.kind)).toEqual(['apiserver-log', 'node-object', 'sibling', 'note']);
  });

  it('the bug seen by hand: a 1 s watch (a lower bound) does not head a 35 s pod log, and says so', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, null);
    const [h] = collectHeat([
      evidence('churn', 'churn', [
        { ...hot(NODE, 20), writes: 20, observedSeconds: 1, lowerBound: true as const },
      ]),
      evidence('apiserver-pod-logs', 'httplog', [{ ...hot(NODE, 176), writes: 103, observedSeconds: 35 }]),
    ]).values();
    const f = nodeFinding({ analysis, heat: h!, agent: null, patchPlan: null, drainPlan: null, notes: [] });
    expect(f.writeRate).toEqual({
      writes: 103,
      writesPerMinute: 176,
      source: 'apiserver-pod-logs',
      signal: 'httplog',
    });
    expect(f.writeRates?.map((r) => [r.source, r.lowerBound])).toEqual([
      ['apiserver-pod-logs', undefined],
      ['churn', true],
    ]);
    const churn = f.evidence.find((e) => e.kind === 'churn')!;
    expect(churn.text).toMatch(
      /^20 updates \(at least 20\/min in 1 s, too few to measure a rate\) of .*machine-h46dc seen by the churn$/,
    );
  });

  it('a lower bound alone heads the finding, said to be one', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, null);
    const [h] = collectHeat([
      evidence('churn', 'churn', [
        { ...hot(NODE, 20), writes: 20, observedSeconds: 1, lowerBound: true as const },
      ]),
    ]).values();
    const f = nodeFinding({ analysis, heat: h!, agent: null, patchPlan: null, drainPlan: null, notes: [] });
    expect(f.writeRate).toEqual({
      writes: 20,
      writesPerMinute: 20,
      source: 'churn',
      signal: 'churn',
      lowerBound: true,
    });
  });

  it('a finding from logs and churn cites both: the rate and source of each, one evidence line each', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, null);
    const [h] = collectHeat([
      evidence('apiserver-pod-logs', 'httplog', [{ ...hot(NODE, 41), writes: 410, observedSeconds: 600 }]),
      evidence('churn', 'churn', [{ ...hot(NODE, 1188), writes: 99, observedSeconds: 5 }]),
    ]).values();
    const f = nodeFinding({ analysis, heat: h!, agent: null, patchPlan: null, drainPlan: null, notes: [] });
    // The headline is the best-founded rate (observed longest), unchanged in shape for the Slack renderers.
    expect(f.writeRate).toEqual({
      writes: 410,
      writesPerMinute: 41,
      source: 'apiserver-pod-logs',
      signal: 'httplog',
    });
    expect(f.writeRates?.map((r) => [r.source, r.writes])).toEqual([
      ['apiserver-pod-logs', 410],
      ['churn', 99],
    ]);
    const lines = f.evidence.filter((e) => e.kind === 'apiserver-log' || e.kind === 'churn');
    expect(lines.map((e) => e.kind)).toEqual(['apiserver-log', 'churn']);
    expect(lines[0]!.text).toMatch(
      /^410 writes \(41\/min over 10 min\) to .*machine-h46dc in the apiserver-pod-logs, counted from httplog access lines$/,
    );
    expect(lines[1]!.text).toMatch(
      /^99 updates \(1188\/min over 5 s\) of .*machine-h46dc seen by the churn$/,
    );
  });

  it('a hot healthy node object: cause unknown and no plans', () => {
    const analysis = analyzeNode(sibling, [broken, sibling], cluster, null);
    const f = nodeFinding({
      analysis,
      heat: null,
      agent: null,
      patchPlan: buildPatchPlan(sibling, null),
      drainPlan: null,
      notes: [],
    });
    expect(f).toMatchObject({ kind: 'loop-unknown-cause', patchPlan: null, drainPlan: null, missing: [] });
  });

  it('a hot object that is not a node: cause unknown', () => {
    const [h] = collectHeat([
      evidence('log-files', 'satisfied-by', [hot('/api/v1/namespaces/cattle-system/configmaps/cm', 100)]),
    ]).values();
    const f = unknownObjectFinding(h!, null);
    expect(f).toMatchObject({
      kind: 'loop-unknown-cause',
      nodeId: null,
      cause: {
        summary: 'The object is rewritten in a loop, for a reason this diagnosis does not recognise.',
      },
    });
  });
});

describe('adviseFix: which fix fits the cause', () => {
  const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-east'));
  const broken = nodeObject('machine-h46dc', { hostname: 'worker-3', ip: '10.0.3.17' });
  const sibling = nodeObject('m-aaaaa', { rke: true });
  const downstream = (present: boolean): KubeNode[] =>
    present
      ? [
          kubeNodeSchema.parse({
            metadata: { name: 'worker-3' },
            status: { addresses: [{ type: 'InternalIP', address: '10.0.3.17' }] },
          }),
        ]
      : [];

  it('node still downstream: drain; the patch for a node that cannot be removed', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, downstream(true));
    expect(analysis.downstreamNodePresent).toBe(true);
    const advice = adviseFix(analysis, buildPatchPlan(broken, sibling), null);
    expect(advice.fix).toBe('drain');
    expect(advice.reason).toMatch(/worker-3 is still in c-dql6k.*patch.*cannot be removed/);
  });

  it('downstream not readable: the patch, which needs only the local cluster; incomplete said so', () => {
    const analysis = analyzeNode(broken, [broken], cluster, null);
    const advice = adviseFix(analysis, buildPatchPlan(broken, null), null);
    expect(advice.fix).toBe('patch');
    expect(advice.reason).toMatch(/could not be read.*only Rancher's local cluster, but is incomplete/);
  });

  it('node gone downstream: neither fix yet', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, downstream(false));
    expect(analysis.downstreamNodePresent).toBe(false);
    expect(adviseFix(analysis, null, null).fix).toBe('none');
  });

  it('orphaned node findings carry the advice, others do not', () => {
    const f = nodeFinding({
      analysis: analyzeNode(broken, [broken, sibling], cluster, null),
      heat: null,
      agent: null,
      patchPlan: buildPatchPlan(broken, sibling),
      drainPlan: null,
      notes: [],
    });
    expect(f.fixAdvice?.fix).toBe('patch');
    const healthy = nodeFinding({
      analysis: analyzeNode(sibling, [broken, sibling], cluster, null),
      heat: null,
      agent: null,
      patchPlan: null,
      drainPlan: null,
      notes: [],
    });
    expect(healthy.fixAdvice).toBeUndefined();
  });
});
