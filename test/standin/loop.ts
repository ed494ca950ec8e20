/**
 * The failure being simulated: Rancher rewrites a custom (RKE1) cluster's machine- node object
 * that lacks status.rkeNode, over and over, while the node's agent waits for a plan. Each round
 * writes the object (resourceVersion rises, watchers see MODIFIED), adds the request's lines to
 * the local kube-apiserver pods' logs, and lets simulated time pass for the agent's log.
 */
import { inFormat, requestLogLines } from './apiserver-log.js';
import type { ClusterState } from './api.js';
import { objectPath, parseApiPath } from './paths.js';
import { rfc3339Nano, type PodLogStore } from './podlogs.js';
import type { ResourceInfo } from './resources.js';
import type { LoopSettings } from './scenario.js';
import { selectorMatches } from './eviction.js';
import type { K8sObject, LoopControl } from './types.js';

type Obj = Record<string, unknown>;

function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

export interface LoopDeps {
  local: ClusterState;
  downstream: Map<string, ClusterState>;
  logs: PodLogStore;
  settings: LoopSettings;
  /** Simulated time starts here (ms). */
  startMs: number;
}

export class LoopSimulator implements LoopControl {
  private timer: NodeJS.Timeout | null = null;
  private simMs: number;
  private readonly msPerTick: number;
  private readonly writeCounts = new Map<string, number>();
  private readonly lastAgentLine = new Map<string, number>();
  private apiserverRoundRobin = 0;
  private readonly rancherNodes: ResourceInfo;
  private readonly rancherClusters: ResourceInfo;

  constructor(
    private readonly deps: LoopDeps,
    private intervalMs: number,
  ) {
    this.simMs = deps.startMs;
    this.msPerTick = deps.settings.simulatedMsPerTick ?? intervalMs;
    this.rancherNodes = deps.local.registry.lookup('management.cattle.io', 'v3', 'nodes')!;
    this.rancherClusters = deps.local.registry.lookup('management.cattle.io', 'v3', 'clusters')!;
    // Only machine- objects can loop: keep their keys so that a round does not scan every node object.
    for (const entry of deps.local.store.list(this.rancherNodes, null)) this.noteCandidate(entry.obj, true);
    deps.local.store.onEvent((event) => {
      if (event.info === this.rancherNodes) this.noteCandidate(event.entry.obj, event.type !== 'DELETED');
    });
  }

  private readonly candidates = new Map<string, { namespace: string; name: string }>();

  private noteCandidate(obj: K8sObject, present: boolean): void {
    if (!obj.metadata.name.startsWith('machine-')) return;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (present) this.candidates.set(key, { namespace: obj.metadata.namespace!, name: obj.metadata.name });
    else this.candidates.delete(key);
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Simulated now, in ms. */
  get now(): number {
    return this.simMs;
  }

  start(intervalMs?: number): void {
    if (intervalMs !== undefined) this.intervalMs = intervalMs;
    this.stop();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.round();
  }

  /** Node object writes the loop has made, all objects together. */
  get nodeWrites(): number {
    let sum = 0;
    for (const n of this.writeCounts.values()) sum += n;
    return sum;
  }

  writes(clusterId: string, nodeId: string): number {
    return this.writeCounts.get(`${clusterId}/${nodeId}`) ?? 0;
  }

  isLooping(clusterId: string, nodeId: string): boolean {
    const entry = this.deps.local.store.get(this.rancherNodes, clusterId, nodeId);
    return entry !== undefined && this.loops(entry.obj);
  }

  /** The loop condition, read from the stores as they are now. */
  private loops(node: K8sObject): boolean {
    if (!node.metadata.name.startsWith('machine-')) return false;
    if (field(node, 'status', 'rkeNode') !== undefined) return false;
    const clusterId = node.metadata.namespace!;
    const cluster = this.deps.local.store.get(this.rancherClusters, null, clusterId)?.obj;
    if (!cluster) return false;
    const custom =
      field(cluster, 'status', 'driver') === 'rancherKubernetesEngine' ||
      field(cluster, 'spec', 'rancherKubernetesEngineConfig') !== undefined;
    if (!custom) return false;
    return this.kubeNodeExists(clusterId, node);
  }

  /** Whether the object's Kubernetes node is still in the downstream cluster (assumed when not modelled). */
  private kubeNodeExists(clusterId: string, node: K8sObject): boolean {
    const downstream = this.deps.downstream.get(clusterId);
    if (!downstream) return true;
    const nodeName = field(node, 'status', 'nodeName');
    if (typeof nodeName !== 'string') return true;
    const coreNodes = downstream.registry.lookup('', 'v1', 'nodes')!;
    return downstream.store.get(coreNodes, null, nodeName) !== undefined;
  }

  private round(): void {
    this.simMs += this.msPerTick;
    const looping = [...this.candidates.values()]
      .map((c) => this.deps.local.store.get(this.rancherNodes, c.namespace, c.name)?.obj)
      .filter((obj): obj is K8sObject => obj !== undefined && this.loops(obj));
    for (const node of looping) {
      this.rewrite(this.deps.local, this.rancherNodes, node);
      const key = `${node.metadata.namespace}/${node.metadata.name}`;
      this.writeCounts.set(key, (this.writeCounts.get(key) ?? 0) + 1);
      this.agentWaits(node);
    }
    for (const extra of this.deps.settings.extraObjects) this.rewriteExtra(extra.cluster, extra.path);
  }

  /** Rancher's PUT of the object: only the Updated condition's time changes, as in the incident. */
  private rewrite(cluster: ClusterState, info: ResourceInfo, obj: K8sObject): void {
    const time = new Date(this.simMs).toISOString().replace(/\.\d+Z$/, 'Z');
    let next: K8sObject;
    if (info === this.rancherNodes) {
      const status = (obj.status ?? {}) as Obj;
      const conditions = ((status.conditions ?? []) as Obj[]).filter((c) => c.type !== 'Updated');
      conditions.push({ type: 'Updated', status: 'True', lastUpdateTime: time });
      next = { ...obj, status: { ...status, conditions } };
    } else {
      const annotations = {
        ...(obj.metadata.annotations ?? {}),
        'standin.rancher-doctor.io/rewritten-at': time,
      };
      next = { ...obj, metadata: { ...obj.metadata, annotations } };
    }
    cluster.store.update(info, next);
    if (cluster === this.deps.local) {
      this.logApiserverRequest(objectPath(info, obj.metadata.namespace, obj.metadata.name));
    }
  }

  private rewriteExtra(clusterName: string, apiPath: string): void {
    const cluster = clusterName === 'local' ? this.deps.local : this.deps.downstream.get(clusterName);
    const route = parseApiPath(apiPath);
    if (!cluster || route.type !== 'resource' || !route.name) return;
    const info = cluster.registry.lookup(route.group, route.version, route.resource);
    const entry = info && cluster.store.get(info, route.namespace, route.name);
    if (info && entry) this.rewrite(cluster, info, entry.obj);
  }

  /** The request's lines go to one local kube-apiserver pod (the one the load balancer chose). */
  private logApiserverRequest(path: string): void {
    const podInfo = this.deps.local.registry.lookup('', 'v1', 'pods')!;
    const apiservers = this.deps.local.store
      .list(podInfo, 'kube-system')
      .filter((e) => e.obj.metadata.labels?.component === 'kube-apiserver');
    if (apiservers.length === 0) return;
    const pod = apiservers[this.apiserverRoundRobin++ % apiservers.length]!.obj;
    const container = firstContainer(pod) ?? 'kube-apiserver';
    const { settings } = this.deps;
    const lines = requestLogLines(
      { method: 'PUT', path, userAgent: settings.userAgent, srcIP: '10.42.0.15:51234', status: 200 },
      settings.apiserverLines,
      this.simMs,
    ).map(({ micros, text }) => ({
      time: rfc3339Nano(this.simMs, micros * 1000 + 400_000),
      ms: this.simMs,
      text: inFormat(text, this.simMs, micros, settings.apiserverLogFormat),
    }));
    this.deps.logs.append('local', 'kube-system', pod.metadata.name, container, lines);
  }

  /** The node's cattle-node-agent asks for its plan every 2 s and logs that it waits. */
  private agentWaits(node: K8sObject): void {
    const clusterId = node.metadata.namespace!;
    const downstream = this.deps.downstream.get(clusterId);
    if (!downstream) return;
    const key = `${clusterId}/${node.metadata.name}`;
    const every = this.deps.settings.agentLogEverySeconds * 1000;
    const last = this.lastAgentLine.get(key);
    if (last !== undefined && this.simMs - last < every) return;
    const agent = this.agentPodOf(downstream, node);
    if (!agent) return;
    this.lastAgentLine.set(key, this.simMs);
    const time = new Date(this.simMs).toISOString().replace(/\.\d+Z$/, 'Z');
    this.deps.logs.append(clusterId, 'cattle-system', agent.metadata.name, 'agent', [
      {
        time: rfc3339Nano(this.simMs),
        ms: this.simMs,
        text: `time="${time}" level=info msg="${this.deps.settings.agentMessage}"`,
      },
    ]);
  }

  private agentPodOf(downstream: ClusterState, node: K8sObject): K8sObject | undefined {
    const podInfo = downstream.registry.lookup('', 'v1', 'pods')!;
    const nodeName = field(node, 'status', 'nodeName');
    const addresses = (field(node, 'status', 'internalNodeStatus', 'addresses') ?? []) as {
      address?: string;
    }[];
    const ips = new Set(addresses.map((a) => a.address));
    return downstream.store
      .list(podInfo, 'cattle-system')
      .map((e) => e.obj)
      .find(
        (pod) =>
          selectorMatches({ matchLabels: { app: 'cattle-agent' } }, pod) &&
          (field(pod, 'spec', 'nodeName') === nodeName || ips.has(field(pod, 'status', 'hostIP') as string)),
      );
  }
}

function firstContainer(pod: K8sObject): string | undefined {
  return ((field(pod, 'spec', 'containers') ?? []) as { name: string }[])[0]?.name;
}
