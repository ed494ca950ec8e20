import { describe, expect, it } from '@jest/globals';
import { selectCause } from '../../src/diagnosis/cause.js';
import { analyzeNode, clusterFacts } from '../../src/diagnosis/nodes.js';
import type { AgentEvidence } from '../../src/diagnosis/types.js';
import { kubeNodeSchema } from '../../src/rancher/schemas.js';
import { nodeObject, rkeCluster } from './fixtures.js';

const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-eu'));
const broken = nodeObject('machine-h46dc', { hostname: 'node3', ip: '10.0.0.3' });
const present = [kubeNodeSchema.parse({ metadata: { name: 'node3' } })];
const agent: AgentEvidence = {
  namespace: 'cattle-system',
  podName: 'cattle-node-agent-x',
  waitingLines: 12,
  lastWaitingAt: null,
  errorLines: 0,
  sample: [],
};

describe('selectCause', () => {
  it('an m- object for the same host: machine- created during cleanup', () => {
    const m = nodeObject('m-bbbbb', { hostname: 'node3', ip: '10.0.0.3' });
    const v = selectCause({
      analysis: analyzeNode(broken, [broken, m], cluster, present),
      writesPerMinute: 300,
      agent,
    });
    expect(v.code).toBe('machine-created-during-cleanup');
    expect(v.confidence).toBe('high');
    expect(v.details.join('\n')).toContain('m-bbbbb');
  });

  it('no m- object and the node still downstream: m- object deleted, node kept', () => {
    const v = selectCause({
      analysis: analyzeNode(broken, [broken], cluster, present),
      writesPerMinute: null,
      agent,
    });
    expect(v.code).toBe('m-object-deleted-node-kept');
    expect(v.confidence).toBe('high');
  });

  it('downstream unreadable: orphaned, way unknown; medium without activity', () => {
    const v = selectCause({
      analysis: analyzeNode(broken, [broken], cluster, null),
      writesPerMinute: null,
      agent: null,
    });
    expect(v.code).toBe('orphaned-way-unknown');
    expect(v.confidence).toBe('medium');
  });

  it('any other hot object: rewritten in a loop, cause unknown', () => {
    const healthy = nodeObject('m-aaaaa', { rke: true });
    const v = selectCause({
      analysis: analyzeNode(healthy, [healthy], cluster, null),
      writesPerMinute: 500,
      agent: null,
    });
    expect(v).toMatchObject({
      code: 'unknown',
      summary: 'The object is rewritten in a loop, for a reason this diagnosis does not recognise.',
      confidence: 'medium',
    });
    expect(selectCause({ analysis: null, writesPerMinute: 500, agent: null }).code).toBe('unknown');
  });
});
