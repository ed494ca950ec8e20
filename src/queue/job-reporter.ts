import type { DiagnosisReport, ProgressEvent } from '../diagnosis/types.js';
import type { DiagnoseJobData } from './job-data.js';
import type { JobMessageRef } from './message-store.js';

/** One attempt at a diagnosis job, as a worker runs it. */
export interface JobAttempt {
  jobId: string;
  data: DiagnoseJobData;
  /** 1 for the first attempt. */
  attempt: number;
  /** How many attempts the queue allows this job. */
  attempts: number;
}

/** The opaque ids under which a finding's plans are stored; null where the report has no such plan. */
export interface FindingPlanIds {
  patch: string | null;
  drain: string | null;
  dismiss: string;
}

/** Why an attempt failed, and whether the queue tries again. */
export interface JobFailure {
  message: string;
  /** What to change, when the error says (an RBAC grant, the known clusters). */
  hint: string | null;
  /** Retrying cannot help: the job fails now, whatever attempts are left. */
  permanent: boolean;
  /** Set when the queue tries the job again. */
  retry: { attempt: number; of: number } | null;
}

/**
 * Where a job's progress and outcome go: the worker reports through this and knows nothing of who
 * is told (a Slack message today; an alert or a terminal could be another). Whoever starts the
 * worker hands it one.
 */
export interface JobReporter {
  /**
   * The worker has taken an attempt of the job. The reporter shows the job (if nobody showed it
   * queued, it does now) before the diagnosis starts. A rejection fails the attempt.
   */
  started(job: JobAttempt): Promise<JobReport>;
}

/**
 * One attempt's reports, in this order: progress any number of times, then settled() once the
 * diagnosis has ended, then one of done(), failed() or handedBack(). None of them rejects: a
 * reporter that cannot tell anyone must not fail the diagnosis.
 */
export interface JobReport {
  /** Where the job's outcome can be found again (kept in the job's result); null when nowhere. */
  readonly message: JobMessageRef | null;
  /** A diagnosis progress event; the reporter may drop or delay some of them. */
  progress(event: ProgressEvent): void;
  /** The diagnosis has ended: progress not yet shown is dropped, as the outcome replaces it. */
  settled(): Promise<void>;
  /** The report, and the ids its plans are stored under (for whatever approves one). */
  done(report: DiagnosisReport, plans: Record<string, FindingPlanIds>): Promise<void>;
  failed(failure: JobFailure): Promise<void>;
  /** The worker is shutting down: the job goes back to the queue and starts over elsewhere. */
  handedBack(): Promise<void>;
}
