import { loadRancherConfig } from '../config/rancher.js';
import type { DiagnosisReport, ProgressReporter } from '../diagnosis/types.js';
import { runDiagnosis } from '../engine/run.js';
import { createClusterAccess } from '../rancher/access.js';
import { diagnosisPorts } from './engine.js';

/** One diagnosis as the command line asks for it. */
export interface DiagnoseRequest {
  cluster?: string;
  sinceSeconds: number;
  watchSeconds: number;
  logFiles?: string[];
  /** Of the Rancher local cluster; otherwise KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  context?: string;
}

/**
 * Runs one diagnosis in this process, with cluster access built from `env` and the request:
 * no Slack, no Redis.
 */
export async function diagnoseOnce(
  request: DiagnoseRequest,
  env: Record<string, string | undefined>,
  progress: ProgressReporter,
): Promise<DiagnosisReport> {
  const config = loadRancherConfig(env, { kubeconfigPath: request.kubeconfig, context: request.context });
  return runDiagnosis(
    diagnosisPorts(createClusterAccess(config)),
    {
      cluster: request.cluster,
      sinceSeconds: request.sinceSeconds,
      watchSeconds: request.watchSeconds,
      logFiles: request.logFiles,
    },
    progress,
  );
}
