import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCliInProcess } from './support/cli.js';
import { fixGround } from './support/fix-ground.js';
import { EXIT } from '../src/cli/exit-codes.js';
import { defaultAuditFile } from '../src/io/audit-file.js';

const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';
const NODE_PATH = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`;

const ground = fixGround();

const fix = (...args: string[]) =>
  runCliInProcess(['fix', 'patch', '--kubeconfig', ground.current().kubeconfig, ...args]);

function auditLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const writes = () => ground.current().standin.countRequests({ method: 'PATCH', dryRun: false });

describe('rancher-doctor fix patch', () => {
  it('--dry-run shows the plan and diff, runs the server-side dry run, writes nothing', async () => {
    const auditFile = path.join(ground.current().dir, 'audit.jsonl');
    const r = await fix('--cluster', 'prod-east', '--node', NODE, '--dry-run', '--audit-file', auditFile);
    expect(r.stderr).not.toContain('rancher-doctor:');
    expect(r.code).toBe(EXIT.clean);
    expect(r.stdout).toContain(`Patch plan for nodes.management.cattle.io ${CLUSTER}/${NODE}`);
    expect(r.stdout).toContain('status.rkeNode.port ← sibling');
    expect(r.stdout).toContain('+  rkeNode:');
    expect(r.stdout).toContain('Dry run passed');
    expect(ground.current().standin.countRequests({ method: 'PATCH', dryRun: true })).toBe(1);
    expect(writes()).toBe(0);
    const [entry] = auditLines(auditFile);
    expect(entry).toMatchObject({ action: 'fix patch --dry-run', outcome: 'dry-run-passed' });
  });

  it('--yes applies it, prints the diff applied, and appends the audit entry in the state directory', async () => {
    const r = await fix('--cluster', CLUSTER, '--node', NODE, '--yes');
    expect(r.code).toBe(EXIT.clean);
    expect(r.stdout).toMatch(/Applied to c-dql6k\/machine-h46dc: resourceVersion \d+ → \d+/);
    expect(r.stdout).toContain('Diff applied:');
    const obj = ground.current().standin.get('local', NODE_PATH)!;
    expect((obj.status as { rkeNode?: { nodeName?: string } }).rkeNode?.nodeName).toBe(`${CLUSTER}:${NODE}`);
    expect(writes()).toBe(1);
    const file = defaultAuditFile(process.env);
    expect(file).toBe(path.join(ground.current().dir, 'state', 'rancher-doctor', 'audit.jsonl'));
    const [entry] = auditLines(file);
    expect(entry).toMatchObject({
      action: 'fix patch',
      outcome: 'applied',
      who: { osUser: expect.any(String), kubeUser: expect.any(String) },
      object: { resource: 'nodes.management.cattle.io', namespace: CLUSTER, name: NODE },
      resourceVersionAfter: obj.metadata.resourceVersion,
      patch: [{ target: 'object', patch: expect.objectContaining({ status: expect.any(Object) }) }],
    });
    expect(entry!.at).toEqual(expect.any(String));
    expect((entry!.objectBefore as { status: { rkeNode?: unknown } }).status.rkeNode).toBeUndefined();
    // The token reaching Rancher is nowhere in the entry.
    expect(readFileSync(file, 'utf8')).not.toContain(ground.current().standin.rancherToken);
  });

  it('refuses without a terminal and without --yes, before reading or writing anything', async () => {
    const r = await fix('--cluster', CLUSTER, '--node', NODE);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('no terminal to confirm on: run with --yes');
    expect(ground.current().standin.requests).toHaveLength(0);
    expect(existsSync(defaultAuditFile(process.env))).toBe(false);
  });

  it('a cluster that is not RKE1 custom: refused with a message, nothing written, an audit entry', async () => {
    ground.current().standin.create('local', {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Cluster',
      metadata: { name: 'c-m-abcd1234' },
      spec: { displayName: 'edge-rke2' },
      status: { driver: 'rke2', appliedSpec: { displayName: 'edge-rke2' } },
    });
    ground.current().standin.create('local', {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Node',
      metadata: { name: 'machine-x1y2z', namespace: 'c-m-abcd1234' },
      spec: { worker: true, requestedHostname: 'edge-1' },
      status: {
        nodeName: 'edge-1',
        internalNodeStatus: { addresses: [{ type: 'InternalIP', address: '10.9.0.1' }] },
      },
    });
    const auditFile = path.join(ground.current().dir, 'audit.jsonl');
    const r = await fix(
      '--cluster',
      'edge-rke2',
      '--node',
      'machine-x1y2z',
      '--yes',
      '--audit-file',
      auditFile,
    );
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain('refused: c-m-abcd1234 is an RKE2/k3s cluster provisioned by Rancher');
    expect(writes()).toBe(0);
    expect(auditLines(auditFile)[0]).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('v2prov'),
    });
  });
});
