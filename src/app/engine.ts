import { delimiter } from 'node:path';
import { loadRancherConfig } from '../config/rancher.js';
import type { DiagnosisPorts } from '../diagnosis/ports.js';
import type { ClusterSummary } from '../diagnosis/types.js';
import { listClusters, runDiagnosis } from '../engine/run.js';
import { logFileReader } from '../io/log-file-reader.js';
import { createClusterAccess, type ClusterAccess } from '../rancher/access.js';
import type { RequestOutcome } from '../rancher/caller.js';
import { clusterPorts } from '../rancher/diagnosis-ports.js';
import { registrationCommand } from '../remediation/plans/drain-plan.js';
import type { RegistrationReader } from '../slack/actions.js';
import type { DiagnoseFn } from '../queue/worker.js';
import type { RemediationExecutor } from '../remediation/approval/executor.js';
import { clusterExecutor, type ClusterExecutorSettings } from './remediation-executor.js';

export interface DiagnosisEngine {
  diagnose: DiagnoseFn;
  listClusters: () => Promise<ClusterSummary[]>;
  /** The full registration command, read when an approver asks for it; absent in stand-in engines. */
  readRegistration?: RegistrationReader;
  /** Carries out approved fixes through the same cluster access; absent in stand-in engines. */
  executor?: RemediationExecutor;
}

/** What the diagnosis reads, from one cluster access and the files on this machine. */
export function diagnosisPorts(access: ClusterAccess): DiagnosisPorts {
  return { ...clusterPorts(access), logFiles: logFileReader };
}

function registrationReader(access: ClusterAccess): RegistrationReader {
  return async (clusterId, ref) =>
    registrationCommand(await access.listRegistrationTokens(clusterId), ref.roles, ref.tokenName);
}

/**
 * For a bot without a worker: reaches the local cluster on the first click that needs it, so a
 * bot that never shows a registration command needs no cluster settings. A bad setting is the
 * click's answer (pointing to Rancher's page), not a failed start.
 */
export function lazyRegistrationReader(env: Record<string, string | undefined>): RegistrationReader {
  let read: RegistrationReader | null = null;
  return (clusterId, ref) => {
    read ??= loadDiagnosisEngine(env).readRegistration!;
    return read(clusterId, ref);
  };
}

/**
 * Builds the real engine from the environment (KUBECONFIG, RANCHER_URL, RANCHER_TOKEN...). One
 * cluster access object serves every job of the process; tokens never enter job data.
 */
export function loadDiagnosisEngine(
  env: Record<string, string | undefined>,
  fixes: ClusterExecutorSettings = { verifyWindowSeconds: 60 },
  onKubernetesRequest?: (outcome: RequestOutcome) => void,
): DiagnosisEngine {
  // One file is read from the env given (tests and roles pass theirs); a list is left to
  // client-node's default loader, which reads KUBECONFIG from the process environment.
  const kubeconfig = env.KUBECONFIG?.trim();
  const single = kubeconfig && !kubeconfig.includes(delimiter) ? { kubeconfigPath: kubeconfig } : {};
  const access = createClusterAccess(loadRancherConfig(env, single), onKubernetesRequest);
  const ports = diagnosisPorts(access);
  return {
    diagnose: (params, onProgress, signal) =>
      runDiagnosis(
        ports,
        {
          ...(params.clusterId !== null ? { cluster: params.clusterId } : {}),
          ...(params.sinceSeconds !== null ? { sinceSeconds: params.sinceSeconds } : {}),
          ...(params.watchSeconds !== null ? { watchSeconds: params.watchSeconds } : {}),
          signal,
        },
        onProgress,
      ),
    listClusters: () => listClusters(ports.local),
    readRegistration: registrationReader(access),
    executor: clusterExecutor(access, fixes),
  };
}
