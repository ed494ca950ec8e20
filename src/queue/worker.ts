import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DiagnosisReport, ProgressEvent, ProgressReporter } from '../diagnosis/types.js';
import { AccessError, DoctorError, UnknownClusterError } from '../errors.js';
import { plural } from '../text/plural.js';
import { writeClusterCache } from './cluster-cache.js';
import { DIAGNOSE_QUEUE, diagnoseJobDataSchema, type DiagnoseJobResult } from './job-data.js';
import type { Metrics } from '../server/metrics.js';
import type { FindingPlanIds, JobAttempt, JobReport, JobReporter } from './job-reporter.js';
import type { JobMessageRef } from './message-store.js';
import { jobLogFields } from './job-log.js';
import { PlanStore } from './plan-store.js';
import type { ReportStore } from './report-store.js';
import type { AuditLog } from './audit-log.js';
import { watchRedisOutage, type RedisOutage } from './redis.js';

export interface DiagnoseParams {
  clusterId: string | null;
  sinceSeconds: number | null;
  watchSeconds: number | null;
}

/** The diagnosis engine as the worker sees it; injected so tests can stand in for it. */
export type DiagnoseFn = (
  params: DiagnoseParams,
  onProgress: ProgressReporter,
  signal: AbortSignal,
) => Promise<DiagnosisReport>;

export interface DiagnosisWorkerOptions {
  connection: Redis;
  prefix: string;
  /** Who is told of each job's progress and outcome. */
  reporter: JobReporter;
  diagnose: DiagnoseFn;
  log: Logger;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  planTtlSeconds: number;
  metrics?: Metrics;
  /** Keeps each report and where it is shown, so decisions can rebuild its message. */
  reports?: ReportStore;
  /** Records each approvable request the reports make. */
  audit?: AuditLog;
  /** Shared with the other workers on the connection, so an outage is logged once. */
  outage?: RedisOutage;
}

export interface DiagnosisWorker {
  worker: Worker;
  /**
   * Stops taking jobs, waits up to graceMs for running ones, then hands them back to the queue.
   * Past the grace period it waits on Redis (to hand the jobs back, to close): with Redis
   * unreachable that is unbounded, and the caller's deadline has to end it.
   */
  close(graceMs: number): Promise<{ handedBack: string[] }>;
  /** Ids of the jobs running now: at a shutdown deadline, the ones left to stall over. */
  runningJobs(): string[];
}

export function startDiagnosisWorker(options: DiagnosisWorkerOptions): DiagnosisWorker {
  const { connection, prefix, reporter, log } = options;
  const plans = new PlanStore(connection, prefix, options.planTtlSeconds);
  const running = new Set<string>();
  const handedBack: string[] = [];

  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<DiagnoseJobResult> => {
    const parsed = diagnoseJobDataSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`malformed job data: ${parsed.error.issues[0]?.message}`);
    const attempt: JobAttempt = {
      jobId: job.id!,
      data: parsed.data,
      attempt: job.attemptsMade + 1,
      attempts: job.opts.attempts ?? 1,
    };
    running.add(job.id!);
    try {
      return await runJob(attempt, job, token, signal ?? new AbortController().signal);
    } finally {
      running.delete(job.id!);
    }
  };

  /**
   * `signal` fires when the worker shuts down past its grace period. From then on the job belongs
   * to the next attempt: this one publishes nothing (no report, no plans), whatever the diagnosis
   * still returns, and hands the job back itself.
   */
  async function runJob(
    attempt: JobAttempt,
    job: Job,
    token: string | undefined,
    signal: AbortSignal,
  ): Promise<DiagnoseJobResult> {
    const data = attempt.data;
    const startedAt = performance.now();
    const ended = (outcome: 'done' | 'failed' | 'handed-back') => {
      options.metrics?.diagnosesFinished.inc({ outcome });
      options.metrics?.diagnosisSeconds.observe({ outcome }, (performance.now() - startedAt) / 1000);
    };
    options.metrics?.diagnosesStarted.inc();
    log.info({ ...jobLogFields(attempt.jobId, data), attempt: attempt.attempt }, 'diagnosis started');
    const out = await reporter.started(attempt);
    const onProgress: ProgressReporter = (event: ProgressEvent) => {
      out.progress(event);
      job.updateProgress({ ...event }).catch(() => undefined);
    };
    onProgress({ stage: 'reading-apiserver-logs', detail: 'starting' });

    const diagnosis = options.diagnose(
      { clusterId: data.clusterId, sinceSeconds: data.sinceSeconds, watchSeconds: data.watchSeconds },
      onProgress,
      signal,
    );
    // Settles later, if at all, once the job is handed back: nobody waits on it then.
    diagnosis.catch(() => undefined);
    const abandoned = new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      signal.addEventListener('abort', () => resolve(null), { once: true });
    });
    let report: DiagnosisReport | null;
    try {
      report = await Promise.race([diagnosis, abandoned]);
    } catch (err) {
      await out.settled();
      ended(signal.aborted ? 'handed-back' : 'failed');
      if (signal.aborted) throw await handBack(attempt, job, token, out);
      throw await reportFailure(attempt, err, out);
    }
    await out.settled();
    if (report === null || signal.aborted) {
      ended('handed-back');
      throw await handBack(attempt, job, token, out);
    }
    ended('done');
    log.info(
      {
        ...jobLogFields(attempt.jobId, data),
        findings: report.findings.length,
        nodes: report.findings.map((f) => `${f.clusterId ?? '?'}/${f.nodeId ?? '?'}`),
      },
      'diagnosis done',
    );

    const planIds = await savePlans(attempt.jobId, data.requestedBy, report, plans);
    await options.reports
      ?.save({ jobId: attempt.jobId, data, report, plans: planIds }, out.message)
      .catch((err) =>
        log.warn(
          { ...jobLogFields(attempt.jobId, data), err: String(err) },
          'could not keep the report for its decisions',
        ),
      );
    await out.done(report, planIds);
    await auditRequests(report, data.requestedBy, planIds, jobLogFields(attempt.jobId, data));
    if (report.clusters.length && data.clusterId === null) {
      await writeClusterCache(connection, prefix, report.clusters).catch((err) =>
        log.warn(
          { ...jobLogFields(attempt.jobId, data), err: String(err) },
          'could not refresh the cluster cache',
        ),
      );
    }
    job
      .updateProgress({ stage: 'done', detail: plural(report.findings.length, 'finding') })
      .catch(() => undefined);
    return summarize(report, out.message);
  }

  async function auditRequests(
    report: DiagnosisReport,
    requestedBy: string,
    planIds: Record<string, FindingPlanIds>,
    logFields: ReturnType<typeof jobLogFields>,
  ): Promise<void> {
    for (const f of report.findings) {
      const ids = planIds[f.id];
      for (const kind of ['patch', 'drain'] as const) {
        const planId = ids?.[kind];
        if (!planId) continue;
        await options.audit
          ?.append({
            at: new Date().toISOString(),
            event: 'request',
            slackUser: requestedBy,
            kubernetesIdentity: null,
            clusterId: f.clusterId,
            nodeId: f.nodeId,
            kind,
            decision: null,
            planId,
            detail: `the diagnosis proposes the ${kind}`,
          })
          .catch((err) => log.warn({ ...logFields, err: String(err) }, 'could not write the audit trail'));
      }
    }
  }

  /**
   * Reports it, then puts the job back in the queue (this attempt holds its lock), in that order:
   * the next attempt's "starting" must come after, never be overwritten.
   * The WaitingError tells BullMQ the job has been moved, so that it neither fails nor completes it.
   */
  async function handBack(
    attempt: JobAttempt,
    job: Job,
    token: string | undefined,
    out: JobReport,
  ): Promise<Error> {
    await out.handedBack();
    try {
      await job.moveToWait(token);
      handedBack.push(attempt.jobId);
    } catch (err) {
      // The lock expires anyway and stall detection hands the job to another worker.
      log.warn(
        { ...jobLogFields(attempt.jobId, attempt.data), err: String(err) },
        'could not hand the job back; it will stall over',
      );
    }
    return new WaitingError();
  }

  /** Reports the failure and returns what the processor should throw. */
  async function reportFailure(attempt: JobAttempt, err: unknown, out: JobReport): Promise<Error> {
    const error = err instanceof Error ? err : new Error(String(err));
    const permanent = error instanceof DoctorError && error.permanent;
    const retry =
      !permanent && attempt.attempt < attempt.attempts
        ? { attempt: attempt.attempt, of: attempt.attempts }
        : null;
    await out.failed({ message: error.message, hint: hintFor(error), permanent, retry });
    log.warn(
      {
        ...jobLogFields(attempt.jobId, attempt.data),
        attempt: attempt.attempt,
        permanent,
        err: error.message,
      },
      'diagnosis failed',
    );
    return permanent ? new UnrecoverableError(error.message) : error;
  }

  const worker = new Worker(DIAGNOSE_QUEUE, processor, {
    connection,
    prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A job whose worker died is taken up again (twice at most), never failed on the first stall.
    maxStalledCount: 2,
    autorun: true,
  });
  const outage = options.outage ?? watchRedisOutage(connection, log);
  worker.on('error', (err) => {
    if (!outage.absorb(err)) log.error({ err: err.message }, 'worker error');
  });
  worker.on('failed', (job, err) => {
    options.metrics?.jobs.inc({ outcome: 'failed-attempt' });
    log.info({ ...jobLogFields(job?.id, job?.data), err: err.message }, 'job attempt failed');
  });
  worker.on('completed', (job) => {
    options.metrics?.jobs.inc({ outcome: 'completed' });
    log.info(jobLogFields(job.id, job.data), 'job completed');
  });

  async function close(graceMs: number): Promise<{ handedBack: string[] }> {
    const closing = worker.close();
    const finished = await Promise.race([
      closing.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref()),
    ]);
    if (!finished) {
      // Each running job's processor hands it back (runJob); closing ends once they all have.
      worker.cancelAllJobs('worker shutting down');
      await closing;
    }
    return { handedBack: [...handedBack] };
  }

  return { worker, close, runningJobs: () => [...running] };
}

function hintFor(error: Error): string | null {
  if (error instanceof AccessError) return error.hint;
  if (error instanceof UnknownClusterError) {
    const known = error.known.map((c) => `${c.name} (${c.id})`).join(', ');
    return known ? `Known clusters: ${known}` : 'No cluster is known.';
  }
  return null;
}

/** Keeps each finding's plans under opaque ids: whatever approves one is handed the id, never the plan. */
async function savePlans(
  jobId: string,
  requestedBy: string,
  report: DiagnosisReport,
  plans: PlanStore,
): Promise<Record<string, FindingPlanIds>> {
  const ids: Record<string, FindingPlanIds> = {};
  const createdAt = new Date().toISOString();
  for (const f of report.findings) {
    const target = `${f.nodeId ?? f.objectKey} in ${f.clusterName ?? f.clusterId ?? 'unknown cluster'}`;
    const base = {
      jobId,
      findingId: f.id,
      clusterId: f.clusterId,
      nodeId: f.nodeId,
      target,
      createdAt,
      requestedBy,
      writesPerMinute: f.writeRate?.writesPerMinute ?? null,
    };
    ids[f.id] = {
      // An incomplete patch cannot be approved: no plan id, so no button can carry one.
      patch:
        f.patchPlan?.complete && !f.patchPlan.ineligible
          ? await plans.save({ ...base, kind: 'patch', plan: { ...f.patchPlan } })
          : null,
      drain: f.drainPlan ? await plans.save({ ...base, kind: 'drain', plan: { ...f.drainPlan } }) : null,
      dismiss: await plans.save({ ...base, kind: 'dismiss', plan: null }),
    };
  }
  return ids;
}

function summarize(report: DiagnosisReport, message: JobMessageRef | null): DiagnoseJobResult {
  return {
    findings: [...report.findings]
      .sort((a, b) => (b.writeRate?.writesPerMinute ?? -1) - (a.writeRate?.writesPerMinute ?? -1))
      .map((f) => ({
        clusterId: f.clusterId,
        nodeId: f.nodeId,
        summary: f.cause.summary,
        clusterName: f.clusterName,
        hostname: f.hostname,
        writesPerMinute: f.writeRate?.writesPerMinute ?? null,
        fix: f.fixAdvice?.fix ?? null,
      })),
    problems: report.problems.length,
    message,
  };
}
