import type { Redis } from 'ioredis';
import type { DiagnosisReport } from '../../src/diagnosis/types.js';
import type { DiagnosisEngine } from '../../src/app/engine.js';
import type { DiagnoseJobData } from '../../src/queue/job-data.js';
import { reportWithFinding } from '../slack/fixtures.js';

/**
 * A stand-in diagnosis engine for queue tests: walks through the stages in `stepMs` steps and
 * counts starts and finishes per job scope in Redis, so a test in another process can see them.
 */
export function fakeEngine(
  redis: Redis,
  counterKey: string,
  stepMs: number,
  report: DiagnosisReport = reportWithFinding,
): DiagnosisEngine {
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      });
    });
  return {
    diagnose: async (params, onProgress, signal) => {
      const scope = params.clusterId ?? '*';
      await redis.hincrby(counterKey, `started:${scope}`, 1);
      onProgress({ stage: 'reading-apiserver-logs', detail: 'kube-apiserver-cp-1', bytes: 1024, lines: 10 });
      await sleep(stepMs, signal);
      onProgress({
        stage: 'reading-apiserver-logs',
        detail: 'kube-apiserver-cp-1',
        bytes: 2_097_152,
        lines: 20000,
      });
      await sleep(stepMs, signal);
      onProgress({ stage: 'reading-node-objects', detail: 'nodes in c-dql6k' });
      await sleep(stepMs, signal);
      onProgress({ stage: 'asking-node-agents', detail: 'cattle-node-agent-x8w2q' });
      await sleep(stepMs, signal);
      await redis.hincrby(counterKey, `finished:${scope}`, 1);
      return {
        ...report,
        scope: {
          clusterId: params.clusterId,
          sinceSeconds: params.sinceSeconds,
          watchSeconds: params.watchSeconds,
          watchedSeconds: params.watchSeconds,
        },
      };
    },
    listClusters: () => Promise.resolve(report.clusters),
  };
}

/** A diagnosis job's data as the bot enqueues it, for one cluster (null: all clusters). */
export function jobData(clusterId: string | null): DiagnoseJobData {
  return {
    v: 1,
    clusterId,
    clusterName: null,
    sinceSeconds: null,
    watchSeconds: null,
    channelId: 'C0OPS',
    requestedBy: 'U0ALICE',
    requestedAt: new Date().toISOString(),
  };
}
