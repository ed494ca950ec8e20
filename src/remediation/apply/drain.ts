import { WriteRefusedError } from '../../errors.js';
import type { KubeNode, Pod } from '../../diagnosis/objects.js';
import type { DrainPlan } from '../../diagnosis/types.js';
import { hasEmptyDir, lastOfRole, leftByDrain, podOwner, selectorMatches } from '../plans/drain-plan.js';
import { DRAIN_STOP_STEP } from '../approval/executor.js';
import type { StepJournal } from './journal.js';
import type { DrainPorts } from './ports.js';

/**
 * Fix B carried out, as `kubectl drain` then `kubectl delete node` do it (k8s.io/kubectl
 * pkg/drain): cordon, evict through policy/v1 with a 429 retried until a deadline, wait for the
 * evicted pods to be gone, delete the node with its UID as a precondition, then wait for Rancher to
 * remove the machine- object. Each step is journalled, so a job run again resumes where the last
 * one stopped and never evicts a pod twice. Between steps (and between pods) it looks for a Stop
 * in the journal: the bot writes one there when an approver asks.
 */

export interface DrainSettings {
  /** DRAIN_TIMEOUT: evictions and the evicted pods going away must be done within it. */
  timeoutSeconds: number;
  /** How long after a 429 the blocked evictions are tried again (kubectl drain: 5 s). */
  retrySeconds: number;
  /** How often the pods, the node and the node object are read again while waiting. */
  pollSeconds: number;
  /** How long Rancher may take to remove the machine- object once the node is gone. */
  removalWaitSeconds: number;
  /** Cordon attempts lost to other writers (409) before giving up. */
  maxAttempts: number;
}

export const DEFAULT_DRAIN_SETTINGS: DrainSettings = {
  timeoutSeconds: 600,
  retrySeconds: 5,
  pollSeconds: 2,
  removalWaitSeconds: 120,
  maxAttempts: 10,
};

/** Time, injected: tests run the waits on their own clock. */
export interface DrainClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type DrainStep = 'preflight' | 'cordon' | 'evict' | 'delete';

export interface BlockedPod {
  /** namespace/name */
  pod: string;
  /** The PodDisruptionBudgets (namespace/name) selecting it. */
  pdbs: string[];
  /** The apiserver's words (the 429's message), or why it was not evicted. */
  message: string;
}

export type DrainOutcome =
  | {
      kind: 'removed';
      clusterId: string;
      nodeId: string;
      node: string;
      nodeUid: string;
      evicted: string[];
      /** Whether Rancher removed the machine- object within the wait. */
      machineObjectGone: boolean;
      waitedSeconds: number;
    }
  | {
      kind: 'stopped';
      clusterId: string;
      nodeId: string;
      node: string;
      reason: 'deadline' | 'stop';
      /** The approver who pressed Stop. */
      stoppedBy: string | null;
      /** The last step done. */
      after: DrainStep | null;
      cordoned: boolean;
      evicted: string[];
      blocked: BlockedPod[];
      /** Evicted, still terminating at the deadline. */
      terminating: string[];
    }
  | { kind: 'refused'; clusterId: string; nodeId: string; reason: string; changed: string[] }
  | { kind: 'failed'; clusterId: string; nodeId: string; message: string; cordoned: boolean };

/** Step names in the journal. `stop` is written by whoever asks the drain to stop. */
export const DRAIN_STEPS = {
  preflight: 'drain:preflight',
  cordon: 'drain:cordon',
  deadline: 'drain:deadline',
  evictions: 'drain:evictions',
  drained: 'drain:drained',
  deleted: 'drain:deleted',
  removal: 'drain:removal',
  outcome: 'drain:outcome',
  stop: DRAIN_STOP_STEP,
} as const;

export interface StopRequest {
  by: string;
  at: string;
}

const key = (pod: Pod) => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;

export async function applyDrainPlan(
  plan: DrainPlan,
  ports: DrainPorts,
  journal: StepJournal,
  clock: DrainClock,
  settings: DrainSettings = DEFAULT_DRAIN_SETTINGS,
  onStep: (message: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<DrainOutcome> {
  const finished = (await journal.get(DRAIN_STEPS.outcome)) as DrainOutcome | null;
  if (finished) return finished;
  const { clusterId, nodeId } = plan;
  const finish = async (outcome: DrainOutcome): Promise<DrainOutcome> => {
    await journal.record(DRAIN_STEPS.outcome, outcome);
    return outcome;
  };
  const refuse = (reason: string, changed: string[] = []) =>
    finish({ kind: 'refused', clusterId, nodeId, reason, changed });
  const node = plan.downstreamNode;
  if (!node) return refuse('the plan names no Kubernetes node downstream: run the diagnosis again');

  const evictions = async () => ((await journal.get(DRAIN_STEPS.evictions)) ?? {}) as Record<string, string>;
  const stopped = async (
    after: DrainStep | null,
    reason: 'deadline' | 'stop',
    by: string | null,
    blocked: BlockedPod[] = [],
    terminating: string[] = [],
  ) =>
    finish({
      kind: 'stopped',
      clusterId,
      nodeId,
      node,
      reason,
      stoppedBy: by,
      after,
      cordoned: (await journal.get(DRAIN_STEPS.cordon)) !== null,
      evicted: Object.keys(await evictions()),
      blocked,
      terminating,
    });
  const stopAsked = async () => (await journal.get(DRAIN_STEPS.stop)) as StopRequest | null;

  // 1. Preflight: what the plan was built from, read again. Nothing is written before it passes.
  let preflight = (await journal.get(DRAIN_STEPS.preflight)) as { uid: string } | null;
  if (!preflight) {
    onStep(`checking ${clusterId}/${nodeId} and node ${node} against the plan`);
    const object = await ports.getNodeObject(clusterId, nodeId, signal);
    if (!object)
      return refuse(`the node object ${nodeId} is gone from the local cluster: nothing to remove`, [
        'node object',
      ]);
    const changed: string[] = [];
    if (object.status.nodeName && object.status.nodeName !== node)
      changed.push(`status.nodeName is ${object.status.nodeName}, not ${node}`);
    if (object.status.rkeNode) changed.push('status.rkeNode is now set (patched?)');
    if (changed.length)
      return refuse(`the node object changed since the diagnosis (${changed.join('; ')})`, changed);
    const kube = await ports.getNode(clusterId, node, signal);
    if (!kube) return refuse(`node ${node} is gone from ${clusterId}: nothing to drain`, ['node']);
    const roles = plan.registration?.roles ?? [];
    const alone = lastOfRole(node, roles, await ports.listNodes(clusterId, signal));
    if (alone.length)
      return refuse(
        `${node} is the last ${alone.join(' and ')} node of ${clusterId}: removing it would take the role from the cluster`,
      );
    const unplanned = (await ports.listPodsOnNode(clusterId, node, signal)).flatMap((p) => {
      const why = unplannedWhy(p, plan);
      return why ? [`${key(p)} (${why})`] : [];
    });
    if (unplanned.length)
      return refuse(
        `pods the plan did not cover are on ${node} now: ${unplanned.join(', ')}; run the diagnosis again`,
        unplanned,
      );
    preflight = { uid: kube.metadata.uid ?? '' };
    await journal.record(DRAIN_STEPS.preflight, { uid: preflight.uid, node });
  }
  const uid = preflight.uid;
  const ask = await stopAsked();
  if (ask) return stopped('preflight', 'stop', ask.by);

  // 2. Cordon: a dry run, then the write, each after a read and pinned to what was read.
  if (!(await journal.get(DRAIN_STEPS.cordon))) {
    onStep(`cordoning ${node}`);
    const cordon = await cordonNode(ports, clusterId, node, uid, settings, signal);
    if (cordon !== 'done') {
      if (cordon.refused) return refuse(cordon.refused, ['node']);
      return finish({ kind: 'failed', clusterId, nodeId, message: cordon.failed!, cordoned: false });
    }
    await journal.record(DRAIN_STEPS.cordon, { at: new Date(clock.now()).toISOString() });
  }
  if ((await stopAsked()) && !(await journal.get(DRAIN_STEPS.drained)))
    return stopped('cordon', 'stop', (await stopAsked())!.by);

  // 3. Evict, then wait for the evicted pods to be gone, within one deadline.
  if (!(await journal.get(DRAIN_STEPS.drained))) {
    let deadline = (await journal.get(DRAIN_STEPS.deadline)) as number | null;
    if (deadline === null) {
      deadline = clock.now() + settings.timeoutSeconds * 1000;
      await journal.record(DRAIN_STEPS.deadline, deadline);
    }
    for (;;) {
      const done = await evictions();
      const pods = await ports.listPodsOnNode(clusterId, node, signal);
      const pending = pods.filter(
        (p) =>
          !leftByDrain(p) &&
          !p.metadata.deletionTimestamp &&
          // Evicted before (by this drain, maybe by a worker that died since): never twice.
          done[key(p)] !== (p.metadata.uid ?? ''),
      );
      const blocked: BlockedPod[] = [];
      let stop: StopRequest | null = null;
      for (const pod of pending) {
        stop ??= await stopAsked();
        if (stop) {
          blocked.push({ pod: key(pod), pdbs: [], message: 'not evicted: the drain was stopped' });
          continue;
        }
        const why = unplannedWhy(pod, plan);
        if (why) {
          blocked.push({ pod: key(pod), pdbs: [], message: `not evicted: ${why}` });
          continue;
        }
        onStep(`evicting ${key(pod)}`);
        const answer = await ports.evictPod(
          clusterId,
          pod.metadata.namespace ?? 'default',
          pod.metadata.name,
        );
        if (answer.kind === 'blocked') blocked.push({ pod: key(pod), pdbs: [], message: answer.message });
        else if (answer.kind === 'evicted')
          await journal.record(DRAIN_STEPS.evictions, {
            ...(await evictions()),
            [key(pod)]: pod.metadata.uid ?? '',
          });
      }
      if (stop) return stopped('cordon', 'stop', stop.by, await withBudgets(ports, clusterId, pods, blocked));
      if (!blocked.length) break;
      if (clock.now() >= deadline)
        return stopped('cordon', 'deadline', null, await withBudgets(ports, clusterId, pods, blocked));
      const ask = await stopAsked();
      if (ask) return stopped('cordon', 'stop', ask.by, await withBudgets(ports, clusterId, pods, blocked));
      onStep(
        `${blocked.length} eviction(s) refused (${blocked[0]!.message}); trying again in ${settings.retrySeconds}s`,
      );
      await clock.sleep(Math.min(settings.retrySeconds * 1000, Math.max(0, deadline - clock.now())), signal);
    }
    for (;;) {
      const left: string[] = [];
      for (const [podKey, podUid] of Object.entries(await evictions())) {
        const [ns, name] = podKey.split('/') as [string, string];
        const pod = await ports.getPod(clusterId, ns, name, signal);
        if (pod && (pod.metadata.uid ?? '') === podUid) left.push(podKey);
      }
      if (!left.length) break;
      if (clock.now() >= deadline) return stopped('evict', 'deadline', null, [], left);
      const ask = await stopAsked();
      if (ask) return stopped('evict', 'stop', ask.by, [], left);
      onStep(`waiting for ${left.length} evicted pod(s) to terminate`);
      await clock.sleep(Math.min(settings.pollSeconds * 1000, Math.max(0, deadline - clock.now())), signal);
    }
    await journal.record(DRAIN_STEPS.drained, { evicted: Object.keys(await evictions()) });
  }
  const last = await stopAsked();
  if (last && !(await journal.get(DRAIN_STEPS.deleted))) return stopped('evict', 'stop', last.by);

  // 4. Delete the node: re-read, dry run, then the delete carrying the UID the preflight read.
  if (!(await journal.get(DRAIN_STEPS.deleted))) {
    onStep(`deleting node ${node}`);
    const current = await ports.getNode(clusterId, node, signal);
    if (current && (current.metadata.uid ?? '') !== uid)
      return refuse(
        `node ${node} was re-created (uid ${current.metadata.uid ?? '?'}, the drain read ${uid}): it is not deleted`,
        ['node uid'],
      );
    if (current) {
      try {
        await ports.deleteNode(clusterId, node, { uid, dryRun: true }, signal);
        await ports.deleteNode(clusterId, node, { uid, dryRun: false }, signal);
      } catch (error) {
        if (!(error instanceof WriteRefusedError)) throw error;
        if (error.status === 409)
          return refuse(`node ${node} was re-created since the drain read it: it is not deleted`, [
            'node uid',
          ]);
        return finish({
          kind: 'failed',
          clusterId,
          nodeId,
          message: `the delete of node ${node} was refused: ${error.message}; it is drained and cordoned`,
          cordoned: true,
        });
      }
    }
    await journal.record(DRAIN_STEPS.deleted, { at: new Date(clock.now()).toISOString() });
  }

  // 5. The node answers NotFound; Rancher's nodesyncer then removes the machine- object.
  let removal = (await journal.get(DRAIN_STEPS.removal)) as {
    machineObjectGone: boolean;
    waitedSeconds: number;
  } | null;
  if (!removal) {
    const start = clock.now();
    const until = start + settings.removalWaitSeconds * 1000;
    onStep(`waiting for node ${node} to answer NotFound and Rancher to remove ${nodeId}`);
    let nodeGone = false;
    let objectGone = false;
    for (;;) {
      if (!nodeGone) {
        const still = await ports.getNode(clusterId, node, signal);
        nodeGone = !still || (still.metadata.uid ?? '') !== uid;
      }
      if (nodeGone) objectGone = (await ports.getNodeObject(clusterId, nodeId, signal)) === null;
      if (objectGone || clock.now() >= until) break;
      await clock.sleep(Math.min(settings.pollSeconds * 1000, Math.max(0, until - clock.now())), signal);
    }
    if (!nodeGone)
      return finish({
        kind: 'failed',
        clusterId,
        nodeId,
        message: `node ${node} was deleted but still answers after ${settings.removalWaitSeconds}s (a finalizer?)`,
        cordoned: true,
      });
    removal = { machineObjectGone: objectGone, waitedSeconds: Math.round((clock.now() - start) / 1000) };
    await journal.record(DRAIN_STEPS.removal, removal);
  }
  return finish({
    kind: 'removed',
    clusterId,
    nodeId,
    node,
    nodeUid: uid,
    evicted: Object.keys(await evictions()),
    ...removal,
  });
}

/** Why drain must not evict this pod under this plan: emptyDir data or no controller the plan did not name. */
function unplannedWhy(pod: Pod, plan: DrainPlan): string | null {
  if (leftByDrain(pod) || pod.metadata.deletionTimestamp) return null;
  const planned = plan.evict.find(
    (p) => p.namespace === (pod.metadata.namespace ?? 'default') && p.name === pod.metadata.name,
  );
  if (hasEmptyDir(pod) && !planned?.emptyDir) return 'its emptyDir data would be lost';
  if (!podOwner(pod) && !planned) return 'no controller would re-create it';
  return null;
}

/** The PodDisruptionBudgets that select each blocked pod, to name them. */
async function withBudgets(
  ports: DrainPorts,
  clusterId: string,
  pods: Pod[],
  blocked: BlockedPod[],
): Promise<BlockedPod[]> {
  const pdbs = await ports.listPodDisruptionBudgets(clusterId).catch(() => []);
  return blocked.map((b) => {
    const pod = pods.find((p) => key(p) === b.pod);
    const ns = pod?.metadata.namespace ?? 'default';
    const names = pdbs
      .filter(
        (pdb) =>
          (pdb.metadata.namespace ?? 'default') === ns &&
          selectorMatches(pdb.spec.selector, pod?.metadata.labels ?? {}),
      )
      .map((pdb) => `${ns}/${pdb.metadata.name}`);
    return { ...b, pdbs: names };
  });
}

async function cordonNode(
  ports: DrainPorts,
  clusterId: string,
  node: string,
  uid: string,
  settings: DrainSettings,
  signal?: AbortSignal,
): Promise<'done' | { refused?: string; failed?: string }> {
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    const current: KubeNode | null = await ports.getNode(clusterId, node, signal);
    if (!current) return { refused: `node ${node} is gone from ${clusterId}` };
    if ((current.metadata.uid ?? '') !== uid)
      return { refused: `node ${node} was re-created since the drain read it` };
    if (current.spec.unschedulable) return 'done';
    const resourceVersion = current.metadata.resourceVersion ?? '';
    try {
      await ports.setUnschedulable(clusterId, node, true, { dryRun: true, resourceVersion }, signal);
      await ports.setUnschedulable(clusterId, node, true, { dryRun: false, resourceVersion }, signal);
      return 'done';
    } catch (error) {
      if (!(error instanceof WriteRefusedError)) throw error;
      if (error.isConflict) continue;
      return { failed: `the cordon of ${node} was refused: ${error.message}; nothing was written` };
    }
  }
  return { failed: `the cordon of ${node} lost to other writers ${settings.maxAttempts} times (409)` };
}

/** Uncordons the node the drain cordoned, if it is still the same node. */
export async function uncordon(
  plan: DrainPlan,
  ports: DrainPorts,
  journal: StepJournal,
  settings: DrainSettings = DEFAULT_DRAIN_SETTINGS,
  signal?: AbortSignal,
): Promise<{ kind: 'uncordoned' | 'not-cordoned' | 'gone' | 'failed'; message: string }> {
  const node = plan.downstreamNode ?? '';
  const preflight = (await journal.get(DRAIN_STEPS.preflight)) as { uid: string } | null;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    const current = await ports.getNode(plan.clusterId, node, signal);
    if (!current || (preflight && (current.metadata.uid ?? '') !== preflight.uid))
      return { kind: 'gone', message: `node ${node} is gone (or was re-created): nothing to uncordon` };
    if (!current.spec.unschedulable)
      return { kind: 'not-cordoned', message: `node ${node} is not cordoned: nothing written` };
    const resourceVersion = current.metadata.resourceVersion ?? '';
    try {
      await ports.setUnschedulable(plan.clusterId, node, false, { dryRun: true, resourceVersion }, signal);
      await ports.setUnschedulable(plan.clusterId, node, false, { dryRun: false, resourceVersion }, signal);
      return { kind: 'uncordoned', message: `node ${node} is schedulable again` };
    } catch (error) {
      if (!(error instanceof WriteRefusedError)) throw error;
      if (error.isConflict) continue;
      return { kind: 'failed', message: `the uncordon of ${node} was refused: ${error.message}` };
    }
  }
  return { kind: 'failed', message: `the uncordon of ${node} lost to other writers (409)` };
}
