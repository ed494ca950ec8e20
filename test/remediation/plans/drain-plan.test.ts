import { describe, expect, it } from '@jest/globals';
import {
  buildDrainPlan,
  maskRegistrationToken,
  registrationCommand,
  selectorMatches,
} from '../../../src/remediation/plans/drain-plan.js';
import { pdbSchema, podSchema, registrationTokenSchema } from '../../../src/rancher/schemas.js';

const pod = (name: string, ns: string, extra: Record<string, unknown> = {}) =>
  podSchema.parse({
    metadata: { name, namespace: ns, ...extra },
    spec: { nodeName: 'node3', containers: [{ name: 'c' }] },
  });

const pods = [
  pod('web-1', 'shop', {
    labels: { app: 'web' },
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d', controller: true }],
  }),
  pod('cattle-node-agent-x', 'cattle-system', {
    ownerReferences: [{ kind: 'DaemonSet', name: 'cattle-node-agent', controller: true }],
  }),
  pod('kube-proxy-node3', 'kube-system', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
  pod('lonely', 'default'),
];
const pdbs = [
  pdbSchema.parse({
    metadata: { name: 'web', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } } },
    status: { disruptionsAllowed: 0 },
  }),
  pdbSchema.parse({
    metadata: { name: 'other', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'db' } } },
    status: { disruptionsAllowed: 0 },
  }),
];
const TOKEN = '9zqxn7fm6dh2t5kgwd8xqp4tbgcmk6w7lzp2hvsrjtbx5nc6d2kqrg';
const tokens = [
  registrationTokenSchema.parse({
    metadata: { name: 'default-token', namespace: 'c-dql6k' },
    status: {
      token: TOKEN,
      nodeCommand: `sudo docker run -d rancher/rancher-agent:v2.6.3 --server https://r --token ${TOKEN} --ca-checksum 5a7b`,
    },
  }),
];

describe('buildDrainPlan', () => {
  it('lists evictions, pods left with reasons, blocking PDBs, steps and the real node command', () => {
    const plan = buildDrainPlan({
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      downstreamNodeName: 'node3',
      podsOnNode: pods,
      pdbs,
      registrationTokens: tokens,
      roles: ['worker'],
    });
    expect(plan.evict.map((p) => p.name)).toEqual(['web-1', 'lonely']);
    expect(plan.leave.map((p) => [p.name, p.reason.split(':')[0]])).toEqual([
      ['cattle-node-agent-x', 'DaemonSet pod'],
      ['kube-proxy-node3', 'mirror pod of a static pod'],
    ]);
    expect(plan.blockingPodDisruptionBudgets).toEqual([
      {
        namespace: 'shop',
        name: 'web',
        reason: expect.stringContaining('allows 0 disruptions now and selects 1 pod on this node'),
      },
    ]);
    expect(plan.steps[0]).toMatch(/^kubectl cordon node3/);
    expect(plan.steps[1]).toBe('kubectl drain node3 --ignore-daemonsets --force --timeout=10m');
    expect(plan.steps).toContain('kubectl delete node node3');
    // The plan names the token and shows the command with the token masked, never the token.
    expect(plan.registration).toEqual({
      tokenName: 'default-token',
      roles: ['worker'],
      maskedCommand:
        'sudo docker run -d rancher/rancher-agent:v2.6.3 --server https://r --token <registration token> --ca-checksum 5a7b --worker',
    });
    expect(plan.steps.at(-1)).toBe(`register the host again: ${plan.registration!.maskedCommand}`);
    expect(JSON.stringify(plan)).not.toContain(TOKEN);
  });

  it('a command whose token it cannot find is not shown at all, and the note says where to get it', () => {
    const odd = registrationTokenSchema.parse({
      metadata: { name: 'default-token', namespace: 'c-dql6k' },
      status: { nodeCommand: 'curl -sfL https://r/agent.sh | sh -s - --secret-that-is-not-called-token x' },
    });
    const plan = buildDrainPlan({
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      downstreamNodeName: 'node3',
      podsOnNode: [],
      pdbs: [],
      registrationTokens: [odd],
      roles: ['worker'],
    });
    expect(plan.registration).toEqual({ tokenName: 'default-token', roles: ['worker'], maskedCommand: null });
    expect(JSON.stringify(plan)).not.toContain('--secret-that-is-not-called-token x');
    expect(plan.notes.join('\n')).toMatch(/not shown: its token could not be told apart/);
  });

  it('says what it could not read instead of inventing it', () => {
    const plan = buildDrainPlan({
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      downstreamNodeName: null,
      podsOnNode: null,
      pdbs: null,
      registrationTokens: null,
      roles: ['etcd', 'worker'],
    });
    expect(plan.registration).toBeNull();
    expect(plan.downstreamNode).toBeNull();
    expect(plan.notes.join('\n')).toMatch(/registration token could not be read/);
    expect(plan.notes.join('\n')).toMatch(/not found downstream/);
    expect(plan.steps.some((s) => s.startsWith('kubectl cordon'))).toBe(false);
    expect(plan.steps.at(-1)).toContain('--etcd --worker');
  });
});

describe('selectorMatches and registrationCommand', () => {
  it('handles expressions and empty selectors', () => {
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
        { app: 'b' },
      ),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, { app: 'b' }),
    ).toBe(false);
    expect(selectorMatches({}, { app: 'b' })).toBe(false);
  });
  it('appends role flags and returns null without a command', () => {
    expect(registrationCommand([], ['worker'])).toBeNull();
    expect(registrationCommand(tokens, ['etcd', 'controlplane'])).toMatch(/--etcd --controlplane$/);
    expect(registrationCommand(tokens, ['worker'], 'other-token')).toBeNull();
  });
  it('masks the token as a flag value (spaced, with =, quoted) and wherever its value appears', () => {
    expect(maskRegistrationToken(`x --token ${TOKEN} --worker`)).toBe(
      'x --token <registration token> --worker',
    );
    expect(maskRegistrationToken(`x --token=${TOKEN}`)).toBe('x --token=<registration token>');
    expect(maskRegistrationToken(`x --token "${TOKEN}"`)).toBe('x --token <registration token>');
    expect(maskRegistrationToken(`curl https://r/v3/import/${TOKEN}_c-1.yaml`, [TOKEN])).toBe(
      'curl https://r/v3/import/<registration token>_c-1.yaml',
    );
    expect(maskRegistrationToken('x --server https://r')).toBeNull();
  });
});
