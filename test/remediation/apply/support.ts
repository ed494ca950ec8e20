import { execFile } from 'node:child_process';
import { chooseSibling } from '../../../src/diagnosis/nodes.js';
import type { PatchPlan } from '../../../src/diagnosis/types.js';
import type { ClusterAccess } from '../../../src/rancher/access.js';
import { buildPatchPlan } from '../../../src/remediation/plans/patch-plan.js';
import type { Standin } from '../../standin/index.js';

export const CLUSTER = 'c-dql6k';
export const BROKEN = 'machine-h46dc';
export const NODE_PATH = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${BROKEN}`;

/** The plan as the diagnosis builds it, from the objects as they are now. */
export async function planNow(access: ClusterAccess, nodeId = BROKEN): Promise<PatchPlan> {
  const nodes = await access.listNodeObjects(CLUSTER);
  const node = nodes.find((n) => n.metadata.name === nodeId)!;
  return buildPatchPlan(node, chooseSibling(node, nodes));
}

/** What reached the stand-in, by kind of request to the broken object. */
export function writes(standin: Standin): {
  dryRuns: number;
  writes: number;
  okWrites: number;
  statusWrites: number;
} {
  const patches = standin.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/nodes/${BROKEN}`));
  return {
    dryRuns: patches.filter((r) => r.query.dryRun !== undefined).length,
    writes: patches.filter((r) => r.query.dryRun === undefined).length,
    okWrites: patches.filter((r) => r.query.dryRun === undefined && r.status === 200).length,
    statusWrites: patches.filter((r) => r.query.dryRun === undefined && r.path.endsWith('/status')).length,
  };
}

export function kubectl(
  kubeconfig: string,
  home: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { env: { PATH: process.env.PATH, HOME: home }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
