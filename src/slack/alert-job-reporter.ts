import { ALERT_REQUESTER } from '../alerts/incident.js';
import type { IncidentService } from '../alerts/incidents.js';
import type { JobAttempt, JobReport, JobReporter } from '../queue/job-reporter.js';

/**
 * The worker's reporter with alerts: a diagnosis an incident asked for has no message of its own
 * (the incident's message shows its progress and report); any other diagnosis is shown as usual,
 * and its report is handed to the incidents waiting on it too (one that was already running when
 * an incident asked for one).
 */
export class AlertJobReporter implements JobReporter {
  constructor(
    private readonly inner: JobReporter,
    private readonly incidents: Pick<IncidentService, 'diagnosisStarted' | 'diagnosed' | 'diagnosisFailed'>,
    private readonly onError: (what: string, err: unknown) => void,
  ) {}

  async started(job: JobAttempt): Promise<JobReport> {
    const incidents = this.incidents;
    const quietly = async (what: string, p: Promise<unknown>): Promise<void> => {
      await p.catch((err: unknown) => this.onError(what, err));
    };
    const outcome = (report: Parameters<JobReport['done']>[0], plans: Parameters<JobReport['done']>[1]) => ({
      jobId: job.jobId,
      clusterId: job.data.clusterId,
      requestedAt: job.data.requestedAt,
      report,
      plans,
    });
    if (job.data.requestedBy !== ALERT_REQUESTER) {
      const inner = await this.inner.started(job);
      return {
        message: inner.message,
        progress: (e) => inner.progress(e),
        settled: () => inner.settled(),
        async done(report, plans) {
          await inner.done(report, plans);
          await quietly('incident report', incidents.diagnosed(outcome(report, plans)));
        },
        failed: (f) => inner.failed(f),
        handedBack: () => inner.handedBack(),
      };
    }
    await quietly('incident diagnosis started', incidents.diagnosisStarted(job.jobId));
    return {
      message: null,
      progress: () => undefined,
      settled: async () => undefined,
      done: (report, plans) => quietly('incident report', incidents.diagnosed(outcome(report, plans))),
      failed: async (f) => {
        // A failure the queue retries is not the incident's news yet.
        if (!f.retry)
          await quietly('incident diagnosis failed', incidents.diagnosisFailed(job.jobId, f.message));
      },
      handedBack: async () => undefined,
    };
  }
}
