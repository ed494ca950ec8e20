import type { DrainPlan } from '../../../src/diagnosis/types.js';
import type { ClusterAccess } from '../../../src/rancher/access.js';
import type { DrainClock } from '../../../src/remediation/apply/drain.js';
import { buildDrainPlan } from '../../../src/remediation/plans/drain-plan.js';
import { nodeRoles } from '../../../src/diagnosis/nodes.js';
import type { Standin } from '../../standin/index.js';
import { BROKEN, CLUSTER } from './support.js';

export const NODE = 'worker-3';
export const WEB_POD = 'web-6d4cf56db6-x7k2p';
export const SLOW_POD = 'api-5f7d9c8b4-k2m9q';

/** The drain plan as the diagnosis builds it, from the clusters as they are now. */
export async function drainPlanNow(access: ClusterAccess, nodeId = BROKEN): Promise<DrainPlan> {
  const down = access.downstream(CLUSTER);
  const object = await access.getNodeObject(CLUSTER, nodeId);
  const node = object.status.nodeName!;
  return buildDrainPlan({
    clusterId: CLUSTER,
    nodeId,
    downstreamNodeName: node,
    podsOnNode: await down.listPodsOnNode(node),
    pdbs: await down.listPodDisruptionBudgets(),
    registrationTokens: await access.listRegistrationTokens(CLUSTER),
    roles: nodeRoles(object),
    downstreamRead: true,
    downstreamNodes: await down.listNodes(),
  });
}

/** A Deployment's pod on worker-3 that takes its 30-second grace period to go. */
export function addSlowPod(standin: Standin): void {
  standin.create(CLUSTER, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: SLOW_POD,
      namespace: 'default',
      labels: { app: 'api' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-5f7d9c8b4', controller: true },
      ],
    },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'api', image: 'api:1' }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

/** What the ReplicaSet does once replicas elsewhere are ready: a third healthy web pod frees the budget. */
export function releaseWebBudget(standin: Standin): void {
  const other = standin.get(CLUSTER, '/api/v1/namespaces/default/pods/web-6d4cf56db6-q9m4z')!;
  standin.create(CLUSTER, {
    ...other,
    metadata: { ...other.metadata, name: 'web-6d4cf56db6-r3l3s', uid: undefined, resourceVersion: undefined },
    spec: { ...(other.spec as object), nodeName: 'worker-2' },
  });
}

/**
 * Time that moves as far as each sleep asks, after letting the real world (the stand-in's kubelet
 * timers, its nodesyncer) run a little: waits in the product cost the test nothing.
 */
export function steppingClock(onSleep: (n: number) => void = () => undefined): DrainClock & {
  sleeps: number[];
} {
  let time = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      onSleep(sleeps.length);
      await new Promise((r) => setTimeout(r, 20));
      time += ms;
    },
  };
}

export const evictions = (standin: Standin, pod?: string): number =>
  standin.requests.filter(
    (r) => r.method === 'POST' && r.path.endsWith('/eviction') && (!pod || r.path.includes(`/pods/${pod}/`)),
  ).length;
