/**
 * A large scenario for the benchmark: N clusters × M node objects, most of them healthy RKE1
 * custom clusters, some imported (their machine- nodes are normal), and `orphans` clusters with
 * one orphaned machine- node each (which the loop then rewrites). Deterministic per seed.
 */
import type { Scenario } from './scenario.js';
import { mulberry32 as random } from '../../scripts/prng.js';

export interface LargeScenarioOptions {
  clusters: number;
  nodesPerCluster: number;
  /** How many custom clusters get one orphaned machine- node among their nodes. */
  orphans: number;
  seed?: number;
  /** Every n-th cluster is imported (0: none); default 10. */
  importedEvery?: number;
  /** Loop timer for the orphans; default 1000 ms so that the benchmark measures the diagnosis. */
  loopIntervalMs?: number;
}

export interface GeneratedOrphan {
  clusterId: string;
  nodeId: string;
  hostname: string;
  address: string;
}

/** A scenario (pass it to startStandin as is) that also says which orphans it planted. */
export type GeneratedScenario = Scenario & { generatedOrphans: GeneratedOrphan[] };

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateLargeScenario(opts: LargeScenarioOptions): GeneratedScenario {
  const rand = random(opts.seed ?? 42);
  const used = new Set<string>();
  const id = (prefix: string): string => {
    for (;;) {
      let s = prefix;
      for (let i = 0; i < 5; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      if (!used.has(s)) {
        used.add(s);
        return s;
      }
    }
  };
  const importedEvery = opts.importedEvery ?? 10;
  const localObjects: Record<string, unknown>[] = [];
  const downstream: NonNullable<Scenario['clusters']> = {};
  const orphans: GeneratedOrphan[] = [];
  // Spread the orphans over the custom clusters.
  const customIndexes = [...Array(opts.clusters).keys()].filter(
    (i) => !(importedEvery > 0 && i % importedEvery === importedEvery - 1),
  );
  const orphanStep =
    opts.orphans > 0 ? Math.max(1, Math.floor(customIndexes.length / opts.orphans)) : Infinity;
  const orphanClusters = new Set(customIndexes.filter((_, k) => k % orphanStep === 0).slice(0, opts.orphans));

  for (let c = 0; c < opts.clusters; c++) {
    const clusterId = id('c-');
    const imported = importedEvery > 0 && c % importedEvery === importedEvery - 1;
    const displayName = `cluster-${String(c).padStart(4, '0')}`;
    localObjects.push(clusterObject(clusterId, displayName, imported));
    const subnet = `10.${Math.floor(c / 250) + 1}.${c % 250}`;
    for (let n = 0; n < opts.nodesPerCluster; n++) {
      const hostname = `${displayName}-node-${n + 1}`;
      const address = `${subnet}.${n + 10}`;
      const roles = n === 0 ? ['etcd', 'controlplane'] : ['worker'];
      const orphan = orphanClusters.has(c) && n === opts.nodesPerCluster - 1;
      if (imported) {
        localObjects.push(nodeObject(clusterId, id('machine-'), hostname, address, roles, 'imported'));
      } else if (orphan) {
        const nodeId = id('machine-');
        localObjects.push(nodeObject(clusterId, nodeId, hostname, address, roles, 'orphan'));
        orphans.push({ clusterId, nodeId, hostname, address });
        downstream[clusterId] = downstreamOf(hostname, address);
      } else {
        localObjects.push(nodeObject(clusterId, id('m-'), hostname, address, roles, 'custom'));
      }
    }
  }
  localObjects.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'kube-apiserver-rancher-1',
      namespace: 'kube-system',
      labels: { component: 'kube-apiserver', tier: 'control-plane' },
    },
    spec: {
      nodeName: 'rancher-1',
      containers: [{ name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.32.4' }],
    },
    status: { phase: 'Running', hostIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const scenario: Scenario = {
    description: `generated: ${opts.clusters} clusters x ${opts.nodesPerCluster} nodes, ${orphans.length} orphaned machine- nodes`,
    tokens: {
      local: [{ token: 'standin-local-token', user: 'system:serviceaccount:cattle-system:rancher-doctor' }],
      rancher: [{ token: 'token-bench:standinrancherbearertoken', user: 'u-bench' }],
    },
    loop: { intervalMs: opts.loopIntervalMs ?? 1000, apiserverLines: ['satisfied-by', 'httplog'] },
    clusters: { local: { objects: localObjects as never }, ...downstream },
  };
  return { ...scenario, generatedOrphans: orphans };
}

function clusterObject(clusterId: string, displayName: string, imported: boolean): Record<string, unknown> {
  return {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Cluster',
    metadata: { name: clusterId },
    spec: imported
      ? { displayName }
      : {
          displayName,
          rancherKubernetesEngineConfig: {
            kubernetesVersion: 'v1.20.15-rancher1-2',
            network: { plugin: 'canal' },
          },
        },
    status: {
      driver: imported ? 'imported' : 'rancherKubernetesEngine',
      appliedSpec: { displayName },
      conditions: [{ type: 'Ready', status: 'True', lastUpdateTime: '2022-05-01T10:00:00Z' }],
    },
  };
}

function nodeObject(
  clusterId: string,
  nodeId: string,
  hostname: string,
  address: string,
  roles: string[],
  kind: 'custom' | 'imported' | 'orphan',
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    etcd: roles.includes('etcd'),
    controlPlane: roles.includes('controlplane'),
    worker: roles.includes('worker'),
    requestedHostname: hostname,
    displayName: '',
    imported: kind === 'imported',
    internalNodeSpec: { podCIDR: '10.42.0.0/24' },
  };
  const status: Record<string, unknown> = {
    nodeName: hostname,
    internalNodeStatus: {
      addresses: [
        { type: 'InternalIP', address },
        { type: 'Hostname', address: hostname },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.20.15',
        containerRuntimeVersion: 'docker://20.10.14',
        osImage: 'Ubuntu 20.04.4 LTS',
      },
    },
    nodeLabels: {
      'kubernetes.io/hostname': hostname,
      ...Object.fromEntries(roles.map((r) => [`node-role.kubernetes.io/${r}`, 'true'])),
    },
    conditions: ['Initialized', 'Provisioned', 'Registered', 'Saved', 'Ready'].map((type) => ({
      type,
      status: 'True',
      lastUpdateTime: '2022-05-01T09:30:00Z',
    })),
  };
  if (kind === 'custom') {
    spec.customConfig = {
      address,
      internalAddress: address,
      user: 'root',
      dockerSocket: '/var/run/docker.sock',
    };
    status.rkeNode = {
      address,
      internalAddress: address,
      port: '22',
      user: 'root',
      role: roles,
      nodeName: `${clusterId}:${nodeId}`,
      hostnameOverride: hostname,
      dockerSocket: '/var/run/docker.sock',
    };
  }
  return {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Node',
    metadata: { name: nodeId, namespace: clusterId, labels: { 'cattle.io/creator': 'norman' } },
    spec,
    status,
  };
}

function downstreamOf(hostname: string, address: string): NonNullable<Scenario['clusters']>[string] {
  return {
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: hostname,
          labels: { 'kubernetes.io/hostname': hostname, 'node-role.kubernetes.io/worker': 'true' },
        },
        status: {
          addresses: [
            { type: 'InternalIP', address },
            { type: 'Hostname', address: hostname },
          ],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `cattle-node-agent-${hostname.slice(-5)}`,
          namespace: 'cattle-system',
          labels: { app: 'cattle-agent' },
        },
        spec: {
          nodeName: hostname,
          hostNetwork: true,
          containers: [{ name: 'agent', image: 'rancher/rancher-agent:v2.6.5' }],
        },
        status: { phase: 'Running', hostIP: address, conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
  };
}
