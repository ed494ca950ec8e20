import {
  managementClusterSchema,
  managementNodeSchema,
  type ManagementCluster,
  type ManagementNode,
} from '../../src/rancher/schemas.js';

/** Small builders for Rancher objects, shaped like the real ones (only what the tests vary). */

export function rkeCluster(
  id: string,
  displayName: string,
  driver = 'rancherKubernetesEngine',
): ManagementCluster {
  return managementClusterSchema.parse({
    apiVersion: 'management.cattle.io/v3',
    kind: 'Cluster',
    metadata: { name: id },
    spec: {
      displayName,
      ...(driver === 'rancherKubernetesEngine' ? { rancherKubernetesEngineConfig: {} } : {}),
    },
    status: { driver, appliedSpec: { displayName } },
  });
}

interface NodeOptions {
  cluster?: string;
  hostname?: string;
  ip?: string | null;
  roles?: ('etcd' | 'controlplane' | 'worker')[];
  rke?: boolean;
  requestedHostname?: string | null;
  imported?: boolean;
  resourceVersion?: string;
}

export function nodeObject(name: string, o: NodeOptions = {}): ManagementNode {
  const cluster = o.cluster ?? 'c-dql6k';
  const hostname = o.hostname ?? `host-${name}`;
  const ip = o.ip === undefined ? '10.0.0.1' : o.ip;
  const roles = o.roles ?? ['worker'];
  const requested = o.requestedHostname === undefined ? hostname : o.requestedHostname;
  const raw: Record<string, unknown> = {
    apiVersion: 'management.cattle.io/v3',
    kind: 'Node',
    metadata: {
      name,
      namespace: cluster,
      resourceVersion: o.resourceVersion ?? '100',
      labels: { keep: 'me' },
    },
    spec: {
      etcd: roles.includes('etcd'),
      controlPlane: roles.includes('controlplane'),
      worker: roles.includes('worker'),
      ...(requested ? { requestedHostname: requested } : {}),
      ...(o.imported ? { imported: true } : {}),
      ...(o.rke
        ? {
            customConfig: {
              address: ip,
              user: 'rancher',
              dockerSocket: '/var/run/docker.sock',
              label: { zone: 'a' },
            },
          }
        : {}),
    },
    status: {
      nodeName: hostname,
      internalNodeStatus: {
        addresses: [
          ...(ip ? [{ type: 'InternalIP', address: ip }] : []),
          { type: 'Hostname', address: hostname },
        ],
      },
      ...(o.rke
        ? {
            rkeNode: {
              address: ip,
              hostnameOverride: hostname,
              nodeName: `${cluster}:${name}`,
              port: '22',
              role: roles,
              user: 'rancher',
              dockerSocket: '/var/run/docker.sock',
            },
          }
        : {}),
    },
  };
  return managementNodeSchema.parse(raw);
}
