import { describe, expect, it } from '@jest/globals';
import { applyMergePatch } from '../../../src/remediation/plans/merge-patch.js';
import { buildPatchPlan } from '../../../src/remediation/plans/patch-plan.js';
import { nodeObject } from '../../diagnosis/fixtures.js';

const broken = nodeObject('machine-h46dc', {
  hostname: 'node3',
  ip: '10.0.0.3',
  roles: ['etcd', 'worker'],
  resourceVersion: '4711',
});
const sibling = nodeObject('m-aaaaa', { hostname: 'node1', ip: '10.0.0.1', rke: true });

describe('buildPatchPlan', () => {
  it('derives every value from the node and its sibling', () => {
    const plan = buildPatchPlan(broken, sibling);
    expect(plan.complete).toBe(true);
    expect(plan.underivable).toEqual([]);
    expect(plan.resourceVersion).toBe('4711');
    expect(plan.mergePatch).toEqual({
      spec: {
        customConfig: {
          address: '10.0.0.3',
          user: 'rancher',
          label: { zone: 'a' },
        },
      },
      status: {
        rkeNode: {
          address: '10.0.0.3',
          hostnameOverride: 'node3',
          nodeName: 'c-dql6k:machine-h46dc',
          port: '22',
          role: ['etcd', 'worker'],
          user: 'rancher',
        },
      },
    });
    // The registering agent sends no dockerSocket: a sibling's is not this host's.
    expect(plan.derivedFrom['status.rkeNode.dockerSocket']).toBeUndefined();
    expect(plan.basis).toEqual({
      addresses: expect.arrayContaining(['InternalIP=10.0.0.3']),
      hostname: 'node3',
      roles: ['etcd', 'worker'],
      rkeNodeAbsent: true,
      customConfigAbsent: true,
    });
    expect(plan.derivedFrom['status.rkeNode.port']).toBe('sibling m-aaaaa');
    expect(plan.derivedFrom['status.rkeNode.hostnameOverride']).toBe('spec.requestedHostname');
  });

  it('gives a diff whose after side is the patched object', () => {
    const plan = buildPatchPlan(broken, sibling);
    expect(plan.diff).toContain('--- nodes.management.cattle.io/c-dql6k/machine-h46dc (now)');
    expect(plan.diff).toContain('+  rkeNode:');
    expect(plan.diff).toContain('+    nodeName: c-dql6k:machine-h46dc');
    expect(plan.diff).toContain('+  customConfig:');
    const patched = applyMergePatch(broken, plan.mergePatch) as typeof broken;
    expect(patched.metadata.labels).toEqual({ keep: 'me' });
    expect(patched.status.rkeNode?.address).toBe('10.0.0.3');
  });

  it('says, for each value it could not derive, what to fill in', () => {
    const plan = buildPatchPlan(nodeObject('machine-x', { ip: null }), null);
    expect(plan.underivable.length).toBeGreaterThan(0);
    for (const u of plan.underivable) expect(u.fillIn).toEqual(expect.any(String));
    const port = plan.underivable.find((u) => u.field === 'status.rkeNode.port');
    expect(port?.fillIn).toMatch(/SSH port.*"22"/);
  });

  it('is incomplete, names what is missing and guesses nothing without a sibling or IP', () => {
    const noIp = nodeObject('machine-x', { ip: null, requestedHostname: null, roles: [] });
    const plan = buildPatchPlan(noIp, null);
    expect(plan.complete).toBe(false);
    expect(plan.underivable.map((u) => u.field).sort()).toEqual([
      'spec.customConfig.address',
      'spec.customConfig.user',
      'status.rkeNode.address',
      'status.rkeNode.hostnameOverride',
      'status.rkeNode.port',
      'status.rkeNode.role',
      'status.rkeNode.user',
    ]);
    expect(plan.mergePatch).toEqual({ status: { rkeNode: { nodeName: 'c-dql6k:machine-x' } } });
    expect(plan.underivable.find((u) => u.field === 'status.rkeNode.port')?.reason).toMatch(
      /no healthy sibling/,
    );
  });

  it('never copies the sibling address or ssh key into the patch', () => {
    const withKey = nodeObject('m-key', { ip: '10.0.0.8', rke: true });
    (withKey.spec.customConfig as Record<string, unknown>).sshKey = 'SECRET';
    const plan = buildPatchPlan(broken, withKey);
    expect(JSON.stringify(plan.mergePatch)).not.toContain('SECRET');
    expect(JSON.stringify(plan.mergePatch)).not.toContain('10.0.0.8');
  });
});

describe('applyMergePatch', () => {
  it('follows RFC 7386: null deletes, arrays replace, objects merge', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { c: null, e: 3 }, d: [9] })).toEqual({
      a: { b: 1, e: 3 },
      d: [9],
    });
  });
});
