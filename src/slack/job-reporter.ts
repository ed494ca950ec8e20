import type { DiagnosisReport, DiagnosisStage, ProgressEvent, WatchProgress } from '../diagnosis/types.js';
import type {
  FindingPlanIds,
  JobAttempt,
  JobFailure,
  JobReport,
  JobReporter,
} from '../queue/job-reporter.js';
import type { JobMessageStore } from '../queue/message-store.js';
import { UpdateThrottle, type SlackPoster } from './poster.js';
import type { SlackMessage } from './render/blocks.js';
import type { ReportDecisions } from './render/decision-view.js';
import {
  renderFailure,
  renderHandedBack,
  renderProgress,
  renderQueued,
  type JobRef,
  type LogsRead,
} from './render/job-messages.js';
import { renderReport } from './render/report.js';

export interface SlackJobReporterOptions {
  poster: SlackPoster;
  /** Where each job's message is kept, shared with the bot that may have posted it queued. */
  messages: JobMessageStore;
  /** At most one update of a message per this long; the outcome is always sent. */
  progressThrottleMs: number;
  /** Draws the loop's chart (PNG) for the report's thread; null when nothing was hot. */
  chart?: (report: DiagnosisReport) => Promise<Uint8Array | null>;
  /** What is decided about the report's objects and which buttons the settings allow. */
  decisionsFor?: (report: DiagnosisReport) => Promise<ReportDecisions>;
}

const chartUpload = (png: Uint8Array) => ({
  filename: 'loop.png',
  title: 'Writes per minute of the objects written in a loop',
  content: png,
});

/**
 * Shows each job in one channel message, which goes from queued through the stages to the report
 * (or the failure, or the hand-back).
 */
export class SlackJobReporter implements JobReporter {
  constructor(private readonly options: SlackJobReporterOptions) {}

  async started(job: JobAttempt): Promise<JobReport> {
    const { poster, messages, chart, decisionsFor } = this.options;
    const ref: JobRef = { jobId: job.jobId, data: job.data };
    const message = await messages.ensure(ref.jobId, () =>
      poster.postWithLink(job.data.channelId, renderQueued(ref)),
    );
    const show = (m: SlackMessage) =>
      message ? poster.update(message.channel, message.ts, m) : Promise.resolve(false);
    const throttle = new UpdateThrottle<SlackMessage>(this.options.progressThrottleMs, show);
    const seen: DiagnosisStage[] = [];
    // The amount of log read stays on its line: a throttled update may drop the event that said it.
    let logsRead: LogsRead | null = null;
    // The churn watch reports alongside the other reads: its line and theirs are kept apart.
    let watch: WatchProgress | null = null;
    let current: ProgressEvent = { stage: 'reading-apiserver-logs', detail: 'starting' };

    return {
      message,
      progress(event) {
        if (!seen.includes(event.stage)) seen.push(event.stage);
        if (
          event.stage === 'reading-apiserver-logs' &&
          (event.bytes !== undefined || event.lines !== undefined)
        )
          logsRead = { bytes: event.bytes, lines: event.lines };
        if (event.stage === 'watching-churn') watch = event.watch ?? watch;
        else current = event;
        throttle.push(renderProgress(ref, current, job.attempt, [...seen], logsRead, watch));
      },
      settled: () => throttle.cancel(),
      async done(report: DiagnosisReport, plans: Record<string, FindingPlanIds>) {
        const decisions = await decisionsFor?.(report).catch(() => undefined);
        const final = renderReport(ref, report, plans, decisions);
        // A thread under a message Slack did not update would explain a report nobody sees.
        if (!(await show(final)) || !message || !(await messages.claimThread(ref.jobId))) return;
        for (const reply of final.thread ?? []) await poster.post(message.channel, reply, message.ts);
        if (final.uploads?.length) await poster.upload(message.channel, message.ts, final.uploads);
        const png = chart ? await chart(report).catch(() => null) : null;
        // A chart that could not be drawn leaves the report as it is: the numbers are in the thread.
        if (png) await poster.upload(message.channel, message.ts, [chartUpload(png)]);
      },
      async failed(failure: JobFailure) {
        await show(renderFailure(ref, failure));
      },
      async handedBack() {
        await show(renderHandedBack(ref));
      },
    };
  }
}
