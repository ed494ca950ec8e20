import { loadRancherConfig } from '../config/rancher.js';
import type { ClusterSummary, DiagnosisReport, ProgressReporter } from '../diagnosis/types.js';
import type { DiagnoseFn } from './worker.js';

/** The parts of src/diagnosis/run.ts and src/rancher the worker uses. */
interface RunModule {
  runDiagnosis(
    access: unknown,
    options: {
      clusterId?: string | null;
      sinceSeconds?: number | null;
      watchSeconds?: number | null;
      signal?: AbortSignal;
    },
    onProgress?: ProgressReporter,
  ): Promise<DiagnosisReport>;
  listClusters(access: unknown): Promise<ClusterSummary[]>;
}
interface AccessModule {
  createClusterAccess(config: ReturnType<typeof loadRancherConfig>): unknown;
}

export interface DiagnosisEngine {
  diagnose: DiagnoseFn;
  listClusters: () => Promise<ClusterSummary[]>;
}

/**
 * Builds the real engine from the environment (KUBECONFIG, RANCHER_URL, RANCHER_TOKEN...). One
 * cluster access object serves every job of the process; tokens never enter job data.
 */
export async function loadDiagnosisEngine(env: Record<string, string | undefined>): Promise<DiagnosisEngine> {
  const config = loadRancherConfig(env);
  // Loaded by name so this module compiles before the engine's entry point exists.
  const runPath = '../diagnosis/run.js';
  const accessPath = '../rancher/access.js';
  const run = (await import(runPath)) as RunModule;
  const accessModule = (await import(accessPath)) as AccessModule;
  const access = accessModule.createClusterAccess(config);
  return {
    diagnose: (params, onProgress, signal) =>
      run.runDiagnosis(
        access,
        {
          clusterId: params.clusterId,
          sinceSeconds: params.sinceSeconds,
          watchSeconds: params.watchSeconds,
          signal,
        },
        onProgress,
      ),
    listClusters: () => run.listClusters(access),
  };
}
