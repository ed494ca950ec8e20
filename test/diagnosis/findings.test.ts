import { describe, expect, it } from '@jest/globals';
import { collectHeat, nodeFinding, unknownObjectFinding } from '../../src/diagnosis/findings.js';
import { analyzeNode, clusterFacts } from '../../src/diagnosis/nodes.js';
import type { ActivitySummary, HotObject, WriteActivityEvidence } from '../../src/diagnosis/types.js';
import { buildPatchPlan } from '../../src/remediation/patch-plan.js';
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
      cause: { summary: 'object rewritten in a loop, cause unknown' },
    });
  });
});
