import { delimiter } from 'node:path';
import { createClusterAccess, listClusters, loadRancherConfig, runDiagnosis } from '../diagnosis/run.js';
import type { ClusterSummary } from '../diagnosis/types.js';
import type { DiagnoseFn } from './worker.js';

export interface DiagnosisEngine {
  diagnose: DiagnoseFn;
  listClusters: () => Promise<ClusterSummary[]>;
}

/**
 * Builds the real engine from the environment (KUBECONFIG, RANCHER_URL, RANCHER_TOKEN...). One
 * cluster access object serves every job of the process; tokens never enter job data.
 */
export function loadDiagnosisEngine(env: Record<string, string | undefined>): DiagnosisEngine {
  // One file is read from the env given (tests and roles pass theirs); a list is left to
  // client-node's default loader, which reads KUBECONFIG from the process environment.
  const kubeconfig = env.KUBECONFIG?.trim();
  const single = kubeconfig && !kubeconfig.includes(delimiter) ? { kubeconfigPath: kubeconfig } : {};
  const access = createClusterAccess(loadRancherConfig(env, single));
  return {
    diagnose: (params, onProgress, signal) =>
      runDiagnosis(
        access,
        {
          ...(params.clusterId !== null ? { cluster: params.clusterId } : {}),
          ...(params.sinceSeconds !== null ? { sinceSeconds: params.sinceSeconds } : {}),
          ...(params.watchSeconds !== null ? { watchSeconds: params.watchSeconds } : {}),
          signal,
        },
        onProgress,
      ),
    listClusters: () => listClusters(access),
  };
}
