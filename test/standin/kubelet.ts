/**
 * What the kubelet does with an evicted pod: a pod with a grace period is marked terminating
 * (metadata.deletionTimestamp, deletionGracePeriodSeconds) and goes away when its containers have
 * stopped; one without goes at once. Here "stopped" comes after the grace period scaled down to
 * `msPerGraceSecond`, so that a 30-second pod takes 300 ms at the default of 10.
 */
import type { ClusterStore } from './store.js';
import type { ResourceInfo } from './resources.js';
import type { K8sObject } from './types.js';

export const DEFAULT_MS_PER_GRACE_SECOND = 10;

const pending = new WeakMap<{ store: ClusterStore }, Set<NodeJS.Timeout>>();

/** Evicts the pod as a real apiserver and kubelet would: at once, or after its grace period. */
export function terminatePod(
  cluster: { store: ClusterStore },
  info: ResourceInfo,
  pod: K8sObject,
  msPerGraceSecond = DEFAULT_MS_PER_GRACE_SECOND,
): void {
  const grace = (pod.spec as { terminationGracePeriodSeconds?: number } | undefined)
    ?.terminationGracePeriodSeconds;
  const namespace = pod.metadata.namespace ?? 'default';
  if (!grace || grace <= 0) {
    cluster.store.delete(info, namespace, pod.metadata.name);
    return;
  }
  const marked = cluster.store.update(info, {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      deletionGracePeriodSeconds: grace,
    },
  });
  const uid = marked.obj.metadata.uid;
  const timers = pending.get(cluster) ?? new Set<NodeJS.Timeout>();
  pending.set(cluster, timers);
  const timer = setTimeout(() => {
    timers.delete(timer);
    const still = cluster.store.get(info, namespace, pod.metadata.name);
    if (still && still.obj.metadata.uid === uid) cluster.store.delete(info, namespace, pod.metadata.name);
  }, grace * msPerGraceSecond);
  timer.unref();
  timers.add(timer);
}

/** Drops the cluster's pending terminations (the stand-in is closing). */
export function stopKubelet(cluster: { store: ClusterStore }): void {
  for (const t of pending.get(cluster) ?? []) clearTimeout(t);
  pending.delete(cluster);
}
