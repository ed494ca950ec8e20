import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRancherConfig, type RancherConfig } from '../../src/config/rancher.js';
import type { DiagnosisPorts } from '../../src/diagnosis/ports.js';
import { logFileReader } from '../../src/io/log-file-reader.js';
import { createClusterAccess, type ClusterAccess } from '../../src/rancher/access.js';
import { clusterPorts } from '../../src/rancher/diagnosis-ports.js';
import { startStandin, type Standin, type StandinOptions } from '../standin/index.js';

/** A stand-in apiserver and a ClusterAccess that reaches it the way production reaches Rancher. */
export interface Ground {
  standin: Standin;
  access: ClusterAccess;
  /** The diagnosis's ports on `access`, as production wires them. */
  ports: DiagnosisPorts;
  config: RancherConfig;
  kubeconfig: string;
  dir: string;
  close(): Promise<void>;
}

export async function startGround(
  options: StandinOptions = {},
  overrides: Partial<RancherConfig> = {},
): Promise<Ground> {
  const standin = await startStandin({ loopIntervalMs: null, ...options });
  const dir = mkdtempSync(path.join(tmpdir(), 'diagnose-test-'));
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  const config = loadRancherConfig(
    {},
    {
      kubeconfigPath: kubeconfig,
      rancherUrl: standin.url,
      rancherToken: standin.rancherToken,
      requestTimeoutMs: 5000,
      retries: 3,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 50,
      ...overrides,
    },
  );
  const access = createClusterAccess(config);
  return {
    standin,
    access,
    ports: diagnosisPorts(access),
    config,
    kubeconfig,
    dir,
    async close() {
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function diagnosisPorts(access: ClusterAccess): DiagnosisPorts {
  return { ...clusterPorts(access), logFiles: logFileReader };
}

export const NODE_PATH = (clusterId: string, nodeId: string) =>
  `/apis/management.cattle.io/v3/namespaces/${clusterId}/nodes/${nodeId}`;
export const CLUSTER_PATH = (clusterId: string) => `/apis/management.cattle.io/v3/clusters/${clusterId}`;
