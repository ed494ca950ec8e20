import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCliInProcess } from './support/cli.js';
import { fixGround } from './support/fix-ground.js';
import { releaseWebBudget } from './remediation/apply/drain-support.js';
import { EXIT } from '../src/cli/exit-codes.js';

const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';

const ground = fixGround();

// The stand-in's apiserver logs hold the loop: the diagnosis needs no watch to find it.
const drain = (...args: string[]) =>
  runCliInProcess(['fix', 'drain', '--kubeconfig', ground.current().kubeconfig, '--watch', '0', ...args]);

const downstreamNode = (name: string) =>
  ground.current().standin.get(CLUSTER, `/api/v1/nodes/${name}`) as unknown as {
    spec?: { unschedulable?: boolean };
  } | null;

function auditLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('rancher-doctor fix drain', () => {
  it('--yes: cordons, evicts (the budget once released), deletes the node; the host way back; an audit line', async () => {
    releaseWebBudget(ground.current().standin);
    const auditFile = path.join(ground.current().dir, 'audit.jsonl');
    const r = await drain('--cluster', 'prod-east', '--node', NODE, '--yes', '--audit-file', auditFile);
    expect(r.stderr).not.toContain('rancher-doctor:');
    expect(r.code).toBe(EXIT.clean);
    expect(r.stdout).toContain('Drain and remove Kubernetes node worker-3 of c-dql6k');
    expect(r.stdout).toMatch(/Removed: worker-3 drained \(\d+ pods? evicted\) and deleted\./);
    expect(r.stdout).toContain("The host's way back:");
    expect(r.stdout).toContain('--token <registration token>');
    expect(downstreamNode('worker-3') ?? null).toBeNull();
    const [entry] = auditLines(auditFile);
    expect(entry).toMatchObject({ action: 'fix drain', outcome: 'removed', node: 'worker-3' });
    expect(readFileSync(auditFile, 'utf8')).not.toMatch(/--token [a-z0-9]{20,}/);
  }, 60000);

  it('a budget that never allows the eviction: stopped at the timeout, the node left cordoned, the pod and budget named', async () => {
    const r = await drain('--cluster', CLUSTER, '--node', NODE, '--yes', '--timeout', '2s');
    expect(r.code).toBe(EXIT.failed);
    expect(r.stdout).toContain('Stopped (the drain timeout passed): worker-3 is left cordoned');
    expect(r.stdout).toMatch(/blocked: default\/web-\S+ by default\/web-pdb/);
    expect(downstreamNode('worker-3')?.spec?.unschedulable).toBe(true);
  }, 60000);

  it('refuses the last controlplane (and etcd) node of its cluster, or a cluster it cannot read: exit 3, nothing written', async () => {
    for (const scenario of ['last-controlplane', 'unreachable-downstream']) {
      await ground.restart({ scenario });
      const auditFile = path.join(ground.current().dir, 'audit.jsonl');
      const r = await drain('--cluster', CLUSTER, '--node', NODE, '--yes', '--audit-file', auditFile);
      expect(r.code).toBe(EXIT.refused);
      expect(r.stderr).toContain(
        scenario === 'last-controlplane'
          ? 'refused: worker-3 is the last etcd and controlplane node of prod-east'
          : 'refused: prod-east could not be read, so what a drain would evict is not known',
      );
      expect(auditLines(auditFile)[0]).toMatchObject({ action: 'fix drain', outcome: 'refused' });
      expect(ground.current().standin.countRequests({ method: 'PATCH', dryRun: false })).toBe(0);
      expect(ground.current().standin.countRequests({ method: 'POST', path: 'eviction' })).toBe(0);
      expect(ground.current().standin.countRequests({ method: 'DELETE' })).toBe(0);
    }
  }, 120000);

  it('refuses without a terminal and without --yes, and for a node with no loop, writing nothing', async () => {
    const noTty = await drain('--cluster', CLUSTER, '--node', NODE);
    expect(noTty.code).toBe(EXIT.usage);
    expect(noTty.stderr).toContain('run with --yes');
    const quiet = await drain('--cluster', CLUSTER, '--node', 'm-4hz8r', '--yes');
    expect(quiet.code).toBe(EXIT.refused);
    expect(quiet.stderr).toContain('the diagnosis found no loop on m-4hz8r');
    expect(ground.current().standin.countRequests({ method: 'PATCH', dryRun: false })).toBe(0);
    expect(ground.current().standin.countRequests({ method: 'POST', path: 'eviction' })).toBe(0);
  }, 60000);
});
