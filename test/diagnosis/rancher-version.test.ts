import { describe, expect, it } from '@jest/globals';
import { selectCause } from '../../src/diagnosis/cause.js';
import { analyzeNode, clusterFacts } from '../../src/diagnosis/nodes.js';
import { nodeObject, rkeCluster } from './fixtures.js';
import {
  agentWaitingWording,
  atLeast,
  copiesHeartbeats,
  keepsMachineWhenNodeDeleted,
  nodeWriters,
  parseRancherVersion,
  syncsUnconditionally,
} from '../../src/diagnosis/rancher-version.js';

describe("Rancher's version", () => {
  it('parses releases with or without v and with suffixes; not a head build', () => {
    expect(parseRancherVersion('v2.6.5')).toEqual({ major: 2, minor: 6, patch: 5 });
    expect(parseRancherVersion('2.7.10-rc3')).toEqual({ major: 2, minor: 7, patch: 10 });
    expect(parseRancherVersion('v2.8-head')).toBeNull();
    expect(parseRancherVersion(null)).toBeNull();
    expect(atLeast('v2.7.10', '2.7.7')).toBe(true);
    expect(atLeast('v2.7.6', '2.7.7')).toBe(false);
    expect(atLeast(null, '2.7.7')).toBeNull();
  });

  it('says what differs by version, and nothing when the version is not known', () => {
    expect(agentWaitingWording('v2.5.9')).toMatch(/^waiting for node to register.*registered first$/);
    expect(agentWaitingWording('v2.5.10')).toMatch(/cluster is currently provisioning/);
    expect(copiesHeartbeats('v2.6.2')).toBe(false);
    expect(copiesHeartbeats('v2.6.3')).toBe(true);
    expect(syncsUnconditionally('v2.6.10')).toBe(false);
    expect(syncsUnconditionally('v2.6.11')).toBe(true);
    expect(syncsUnconditionally('v2.7.0')).toBe(true);
    expect(syncsUnconditionally('v2.5.17')).toBe(false);
    expect(keepsMachineWhenNodeDeleted('v2.7.6')).toBe(false);
    expect(keepsMachineWhenNodeDeleted('v2.7.7')).toBe(true);
    for (const f of [
      agentWaitingWording,
      copiesHeartbeats,
      syncsUnconditionally,
      keepsMachineWhenNodeDeleted,
    ])
      expect(f(null)).toBeNull();
    expect(nodeWriters(null)).toEqual([]);
    expect(nodeWriters('v2.6.5')).toHaveLength(1);
    expect(nodeWriters('v2.6.11').join('\n')).toMatch(
      /node-controller-sync updates the object on every event/,
    );
  });
});

describe('the cause, by version', () => {
  const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-east'));
  const broken = nodeObject('machine-h46dc', { hostname: 'worker-3', ip: '10.0.3.17' });
  const analysis = analyzeNode(broken, [broken], cluster, null);
  const quietAgent = {
    namespace: 'cattle-system',
    podName: 'cattle-node-agent-x',
    waitingLines: 0,
    lastWaitingAt: null,
    errorLines: 0,
    sample: [],
  };

  it("an agent that logged no wait: the detail quotes the wording of this Rancher's agent", () => {
    const details = (v: string | null) =>
      selectCause({ analysis, writesPerMinute: 600, agent: quietAgent, rancherVersion: v }).details.join(
        '\n',
      );
    expect(details('v2.5.9')).toMatch(
      /the node agent of Rancher v2\.5\.9 says "waiting for node to register\. .*registered first"/,
    );
    expect(details('v2.6.5')).toMatch(
      /Rancher v2\.6\.5 says "Waiting for node to register\. .*currently provisioning/,
    );
    expect(details(null)).not.toMatch(/says "/);
  });
});
