import { afterEach, describe, expect, it } from '@jest/globals';
import { runDiagnosis } from '../../src/engine/run.js';
import { startGround, type Ground } from '../diagnosis/support.js';

/** Each kind of Rancher cluster in the stand-in, and what the diagnosis makes of it. */

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

const V2PROV = 'c-m-4x7bqz2n';

describe('every kind of Rancher cluster (stand-in scenarios)', () => {
  it('v2prov-custom: the hot machine- node is a finding of unknown cause, no patch, its removal deletes the CAPI Machine', async () => {
    const g = (ground = await startGround({ scenario: 'v2prov-custom' }));
    g.standin.loop.tick(120);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0 });
    expect(report.rancherVersion).toBe('v2.8.5');
    expect(report.findings.map((f) => f.id)).toEqual([`${V2PROV}/machine-rk2w1`]);
    const f = report.findings[0]!;
    expect(f).toMatchObject({
      kind: 'loop-unknown-cause',
      cause: { code: 'unknown' },
      clusterName: 'edge-rke2',
      patchPlan: null,
      missing: [],
      fixAdvice: { fix: 'none' },
    });
    const why = f.cause.details.join('\n');
    expect(why).toMatch(/v2prov/);
    expect(why).toMatch(/CAPI Machine fleet-default\/custom-a41b7c2e0d96 \(CustomMachine\), phase Running/);
    expect(why).toMatch(/rancher-system-agent/);
    expect(why).toMatch(/Rancher v2\.8\.5 node-controller-sync updates the object on every event/);
    expect(f.drainPlan?.removal).toEqual({
      kind: 'capi-machine',
      namespace: 'fleet-default',
      name: 'custom-a41b7c2e0d96',
      replaced: false,
    });
    const steps = f.drainPlan!.steps.join('\n');
    expect(steps).toMatch(/kubectl delete machines\.cluster\.x-k8s\.io -n fleet-default custom-a41b7c2e0d96/);
    expect(steps).not.toMatch(/kubectl delete node /);
    expect(steps).toMatch(/register the host again: curl .*--token <registration token>/);
    expect(f.drainPlan!.notes.join('\n')).toMatch(
      /since Rancher 2\.7\.7 deleting the Kubernetes node no longer removes its CAPI Machine \(this Rancher is v2\.8\.5\)/,
    );
    expect(f.drainPlan!.evict.map((p) => p.name)).toEqual(['shop-7c9d8b6f5-k2x4q']);
    expect(f.agent).toBeNull();
    expect(f.evidence.map((e) => e.text).join('\n')).toMatch(/journalctl -u rancher-system-agent/);
    expect(report.problems).toEqual([]);
  });

  it('v2prov-quiet: machine- nodes without rkeNode are normal, no finding', async () => {
    const g = (ground = await startGround({ scenario: 'v2prov-quiet' }));
    g.standin.loop.tick(120);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0 });
    expect(report.findings).toEqual([]);
    expect(report.problems).toEqual([]);
  });

  it('v2prov: a Machine found by status.nodeRef when the node carries no annotation', async () => {
    const g = (ground = await startGround({ scenario: 'v2prov-custom' }));
    const path = `/apis/management.cattle.io/v3/namespaces/${V2PROV}/nodes/machine-rk2w1`;
    const node = g.standin.get('local', path)!;
    const status = { ...(node.status as Record<string, unknown>) };
    delete status.nodeAnnotations;
    g.standin.put('local', { ...node, status });
    g.standin.loop.tick(120);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0, cluster: V2PROV });
    expect(report.findings[0]?.drainPlan?.removal?.name).toBe('custom-a41b7c2e0d96');
    expect(report.findings[0]?.cause.details.join('\n')).toMatch(/found by its status\.nodeRef/);
  });

  it('node-driver: the hot pool node is a finding of unknown cause, no patch, its removal deletes the node object; the one being provisioned is not a finding', async () => {
    const g = (ground = await startGround({ scenario: 'node-driver' }));
    g.standin.loop.tick(120);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0 });
    expect(report.rancherVersion).toBe('v2.6.5');
    expect(report.findings.map((f) => f.id)).toEqual(['c-np4k7/m-q2v7n']);
    const f = report.findings[0]!;
    expect(f).toMatchObject({ kind: 'loop-unknown-cause', patchPlan: null, fixAdvice: { fix: 'none' } });
    expect(f.cause.details.join('\n')).toMatch(/node pool c-np4k7:np-2mw8r/);
    expect(f.drainPlan?.removal).toMatchObject({ kind: 'node-pool-node', name: 'm-q2v7n', replaced: true });
    const steps = f.drainPlan!.steps.join('\n');
    expect(steps).toMatch(/kubectl delete nodes\.management\.cattle\.io -n c-np4k7 m-q2v7n/);
    expect(steps).not.toMatch(/register the host again/);
    expect(f.drainPlan!.registration).toBeNull();
  });

  it('mixed-fleet: RKE1 custom, RKE2 custom, imported and hosted; only the RKE1 orphan is a finding', async () => {
    const g = (ground = await startGround({ scenario: 'mixed-fleet' }));
    g.standin.loop.tick(120);
    const report = await runDiagnosis(g.ports, { watchSeconds: 0 });
    expect(report.rancherVersion).toBe('v2.7.10');
    expect(report.clusters.map((c) => c.id)).toEqual([
      'c-dql6k',
      'c-eks01',
      'c-imp01',
      'c-m-8n2xq5vd',
      'local',
    ]);
    expect(report.findings.map((f) => `${f.id} ${f.kind}`)).toEqual([
      'c-dql6k/machine-h46dc orphaned-machine-node',
    ]);
    expect(report.findings[0]!.patchPlan?.ineligible).toBeUndefined();
  });
});

describe("Rancher's version", () => {
  it('absent (no server-version setting): unknown, and no problem', async () => {
    const g = (ground = await startGround());
    const report = await runDiagnosis(g.ports, { watchSeconds: 0, cluster: 'c-dql6k' });
    expect(report.rancherVersion).toBeNull();
    expect(report.problems).toEqual([]);
  });

  it('forbidden (403): unknown, a problem saying what to grant, and the diagnosis goes on', async () => {
    const g = (ground = await startGround({ scenario: 'mixed-fleet' }));
    g.standin.faults.forbid({ verb: 'get', group: 'management.cattle.io', resource: 'settings' });
    const report = await runDiagnosis(g.ports, { watchSeconds: 0, cluster: 'c-dql6k' });
    expect(report.rancherVersion).toBeNull();
    expect(report.findings.map((f) => f.id)).toEqual(['c-dql6k/machine-h46dc']);
    expect(report.problems).toEqual([
      expect.objectContaining({
        target: 'settings.management.cattle.io server-version',
        status: 403,
        hint: expect.stringMatching(/grant get on settings\.management\.cattle\.io/),
      }),
    ]);
  });
});
