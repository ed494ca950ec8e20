import { describe, expect, it } from '@jest/globals';
import { runDiagnosis } from '../../src/engine/run.js';
import { AccessError, TransientError } from '../../src/errors.js';
import type { ClusterAccess } from '../../src/rancher/access.js';
import { clusterPorts } from '../../src/rancher/diagnosis-ports.js';
import { DownstreamUnreachableConfig } from '../../src/rancher/kubeconfig.js';
import { MalformedObjectError, podSchema } from '../../src/rancher/schemas.js';
import { nodeObject, rkeCluster } from '../diagnosis/fixtures.js';

const noFiles = { scan: () => Promise.reject(new Error('no files in this test')) };

/** A ClusterAccess whose optional reads fail with the edge's own errors. */
function failingAccess(): ClusterAccess {
  const apiserver = podSchema.parse({
    metadata: { name: 'kube-apiserver-a', namespace: 'kube-system' },
    spec: { containers: [{ name: 'kube-apiserver' }] },
  });
  return {
    via: 'memory',
    listClusters: () => Promise.resolve([rkeCluster('c-dql6k', 'prod-east')]),
    listNodeObjects: () =>
      Promise.resolve([nodeObject('m-aaaaa', { rke: true }), nodeObject('machine-h46dc')]),
    listApiserverPods: () => Promise.resolve([apiserver]),
    streamPodLog: () =>
      Promise.reject(new AccessError('could not read the log: HTTP 403', 403, 'grant pods/log')),
    listRegistrationTokens: () => Promise.reject(new TransientError('could not list tokens: timeout')),
    getRancherVersion: () =>
      Promise.reject(new AccessError('could not get settings: HTTP 403', 403, 'grant get on settings')),
    downstream: () => {
      throw new DownstreamUnreachableConfig('no way to reach c-dql6k');
    },
  } as unknown as ClusterAccess;
}

describe("the rancher adapter turns the edge's errors into the diagnosis's problems", () => {
  const explain = clusterPorts(failingAccess()).explainFailure;

  it('a refusal keeps its status and what to grant', () => {
    expect(explain(new AccessError('could not list pods: HTTP 403', 403, 'grant list pods'))).toEqual({
      status: 403,
      message: 'could not list pods: HTTP 403',
      hint: 'grant list pods',
    });
  });

  it('no way downstream, a timeout, a malformed answer, anything else: each says what to check', () => {
    expect(explain(new DownstreamUnreachableConfig('no way')).hint).toMatch(
      /RANCHER_URL.*DOWNSTREAM_KUBECONFIG_DIR/,
    );
    expect(explain(new TransientError('timeout')).hint).toMatch(/did not answer in time/);
    expect(explain(new MalformedObjectError('bad')).hint).toMatch(/shape Rancher gives it/);
    expect(explain(new Error('certificate has expired'))).toMatchObject({
      status: null,
      message: 'certificate has expired',
      hint: expect.stringMatching(/TLS certificate/) as unknown as string,
    });
  });

  it('in a diagnosis, each failed optional read is a problem entry and the report is still made', async () => {
    const report = await runDiagnosis(
      { ...clusterPorts(failingAccess()), logFiles: noFiles },
      { watchSeconds: 0, cluster: 'c-dql6k' },
    );
    expect(report.findings.map((f) => f.id)).toEqual(['c-dql6k/machine-h46dc']);
    expect(report.rancherVersion).toBeNull();
    expect(report.problems.map((p) => [p.target, p.status])).toEqual([
      ['settings.management.cattle.io server-version', 403],
      ['log of kube-system/kube-apiserver-a', 403],
      ['clusterregistrationtokens.management.cattle.io in c-dql6k', null],
      ['downstream cluster c-dql6k', null],
    ]);
    expect(report.problems[1]!.hint).toBe('grant pods/log');
  });
});
