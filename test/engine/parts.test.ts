import { describe, expect, it } from '@jest/globals';
import type { Analyzer } from '../../src/diagnosis/analyzers/index.js';
import type { ScopeCollector } from '../../src/diagnosis/collectors/index.js';
import { createChurnCounter } from '../../src/diagnosis/churn.js';
import type { DiagnosisPorts } from '../../src/diagnosis/ports.js';
import { ALL_PARTS, runDiagnosis } from '../../src/engine/run.js';
import { nodeObject, rkeCluster } from '../diagnosis/fixtures.js';

/** A local cluster read from memory: one RKE1 cluster, a healthy node and an orphaned machine- node; no apiserver pods, no way downstream. */
function memoryPorts(): DiagnosisPorts {
  return {
    local: {
      listClusters: () => Promise.resolve([rkeCluster('c-dql6k', 'prod-east')]),
      listNodeObjects: () =>
        Promise.resolve([
          nodeObject('m-aaaaa', { rke: true, ip: '10.0.0.2' }),
          nodeObject('machine-h46dc', { ip: '10.0.0.5' }),
        ]),
      watchNodeObjects: () => Promise.resolve(),
      listRegistrationTokens: () => Promise.resolve([]),
      listApiserverPods: () => Promise.resolve([]),
      streamPodLog: () => Promise.resolve(),
      getRancherVersion: () => Promise.resolve(null),
      listProvisioningClusters: () => Promise.resolve([]),
      listCapiMachines: () => Promise.resolve([]),
    },
    downstream: () => {
      throw new Error('no way to reach it');
    },
    explainFailure: (error) => ({ status: null, message: String(error), hint: 'set up the way there' }),
    logFiles: { scan: () => Promise.reject(new Error('no files in this test')) },
  };
}

/** A source of writes the product does not have: one file like this, and one line in the list. */
const remembered: ScopeCollector = {
  name: 'remembered writes',
  collect() {
    const counter = createChurnCounter();
    const start = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 90; i++)
      counter.modified('c-dql6k', 'm-aaaaa', new Date(start.getTime() + Math.round((i * 60_000) / 90)));
    return Promise.resolve({
      activity: [
        {
          source: 'churn',
          description: 'writes remembered by the test',
          summary: counter.summary(start, new Date(start.getTime() + 60_000)),
        },
      ],
    });
  },
};

/** A kind of finding the product does not make: one file like this, and one line in the list. */
const everyNodeObject: Analyzer = {
  name: 'every node object',
  analyze: (facts) =>
    [...facts.nodesByCluster.values()].flat().map((n) => ({
      finding: {
        id: `seen:${n.metadata.name}`,
        kind: 'loop-unknown-cause',
        objectKey: n.metadata.name,
        clusterId: n.metadata.namespace ?? null,
        clusterName: null,
        nodeId: n.metadata.name,
        hostname: null,
        ip: null,
        writeRate: null,
        cause: { code: 'unknown', summary: 'seen', details: [] },
        confidence: 'low',
        missing: [],
        sibling: null,
        agent: null,
        evidence: [],
        patchPlan: null,
        drainPlan: null,
      },
    })),
};

describe('the diagnosis is its lists of collectors and analyzers', () => {
  it('with every part, over ports that are not a cluster: the orphan, its plans, the unreachable downstream as a problem', async () => {
    const report = await runDiagnosis(memoryPorts(), { watchSeconds: 0 });
    expect(report.findings.map((f) => [f.id, f.kind])).toEqual([
      ['c-dql6k/machine-h46dc', 'orphaned-machine-node'],
    ]);
    const finding = report.findings[0]!;
    expect(finding.patchPlan?.nodeId).toBe('machine-h46dc');
    expect(finding.drainPlan?.notes[0]).toMatch(/could not be reached/);
    expect(finding.fixAdvice?.fix).toBe('patch');
    expect(report.problems.map((p) => [p.target, p.hint])).toEqual([
      ['downstream cluster c-dql6k', 'set up the way there'],
    ]);
  });

  it('a new collector is one more entry: its writes reach the analyzers that are there', async () => {
    const parts = { ...ALL_PARTS, scopeCollectors: [...ALL_PARTS.scopeCollectors, remembered] };
    const report = await runDiagnosis(memoryPorts(), { watchSeconds: 0 }, undefined, parts);
    const hot = report.findings.find((f) => f.id === 'c-dql6k/m-aaaaa');
    expect(hot?.kind).toBe('loop-unknown-cause');
    expect(hot?.writeRate).toMatchObject({ writes: 90, writesPerMinute: 90 });
    expect(report.activity.map((a) => a.description)).toEqual(['writes remembered by the test']);
  });

  it('a new analyzer is one more entry: its findings join the report, sorted with the rest', async () => {
    const parts = { ...ALL_PARTS, analyzers: [...ALL_PARTS.analyzers, everyNodeObject] };
    const report = await runDiagnosis(memoryPorts(), { watchSeconds: 0 }, undefined, parts);
    expect(report.findings.map((f) => f.id)).toEqual([
      'c-dql6k/machine-h46dc',
      'seen:m-aaaaa',
      'seen:machine-h46dc',
    ]);
  });

  it('without the analyzers there are no findings, whatever was collected', async () => {
    const report = await runDiagnosis(memoryPorts(), { watchSeconds: 0 }, undefined, {
      ...ALL_PARTS,
      analyzers: [],
    });
    expect(report.findings).toEqual([]);
    expect(report.problems).toHaveLength(1);
  });
});
