import type { DiagnosisStage, ProgressEvent, WatchProgress } from '../../diagnosis/types.js';
import type { ScopeFacts } from '../../report/model.js';
import { STAGE_LABELS, watchWords } from '../../report/vocabulary.js';
import { plural } from '../../text/plural.js';
import { scopeLabel, type DiagnoseJobData } from '../../queue/job-data.js';
import { context, message, section, type Block, type SlackMessage } from './blocks.js';
import { cut, esc } from './limits.js';
import { formatBytes } from '../../text/bytes.js';
import { formatSeconds } from '../../text/duration.js';

/**
 * The lines a person sees, in order. The churn watch runs alongside the reads of logs and node
 * objects, so it has a line of its own that keeps its state while the others move on.
 */
const LINES: DiagnosisStage[] = [
  'queued',
  'reading-apiserver-logs',
  'watching-churn',
  'reading-node-objects',
  'asking-node-agents',
];

export interface JobRef {
  jobId: string;
  data: DiagnoseJobData;
}

function jobContext(job: JobRef, extra: string[] = [], scope?: ScopeFacts): Block {
  // A report says the churn window it really watched when that was shorter than asked.
  const short = scope?.watchCutShort;
  const cutShort = short
    ? `watched ${formatSeconds(short.watchedSeconds)} of the ${formatSeconds(short.askedSeconds)} asked`
    : null;
  const params = [
    job.data.sinceSeconds ? `since ${formatSeconds(job.data.sinceSeconds)}` : null,
    cutShort ??
      (job.data.watchSeconds === 0
        ? 'no watch'
        : job.data.watchSeconds
          ? `watch ${formatSeconds(job.data.watchSeconds)}`
          : null),
  ].filter(Boolean);
  return context(
    [`job \`${job.jobId}\``, `asked by <@${job.data.requestedBy}>`, ...params, ...extra].join(' · '),
  );
}

export function renderQueued(job: JobRef, position: string | null = null): SlackMessage {
  const scope = scopeLabel(job.data);
  return message(`Diagnosis of ${scope} queued`, [
    section(
      `:hourglass_flowing_sand: *Diagnosis of ${esc(scope)}* is queued${position ? ` (${esc(position)})` : ''}.`,
    ),
    section(progressLines(job, 'queued', null, [])),
    jobContext(job),
  ]);
}

/**
 * The running job's message. `event` is the latest event of the reads in turn (logs, node objects,
 * agents); `seen` lists the stages reported so far, in any order (the engine reads node objects
 * before the logs): those are ticked, the current one shows its detail. The watch line shows
 * `watch`, the latest state of the churn watch, whatever the other lines are doing.
 */
export function renderProgress(
  job: JobRef,
  event: ProgressEvent,
  attempt = 1,
  seen: DiagnosisStage[] = [event.stage],
  logsRead: LogsRead | null = null,
  watch: WatchProgress | null = null,
): SlackMessage {
  const scope = scopeLabel(job.data);
  const churn = event.stage === 'watching-churn';
  const current = churn
    ? (seen.findLast((s) => s !== 'watching-churn' && s !== 'queued') ?? 'reading-apiserver-logs')
    : event.stage;
  const detail = churn ? null : event;
  const label = STAGE_LABELS[current];
  return message(`Diagnosis of ${scope}: ${label.toLowerCase()}`, [
    section(`:mag: *Diagnosis of ${esc(scope)}* is running.`),
    section(progressLines(job, current, detail, seen, logsRead, (churn ? event.watch : null) ?? watch)),
    jobContext(job, attempt > 1 ? [`attempt ${attempt}`] : []),
  ]);
}

/** How much of the apiserver logs has been read so far, from the last progress event that said. */
export interface LogsRead {
  bytes?: number;
  lines?: number;
}

/**
 * One line per stage: finished ones ticked, the current one with its detail and counts. The logs
 * line keeps the amount read once known, also while a later stage is showing. The watch line is
 * left out when the job turned the watch off.
 */
function progressLines(
  job: JobRef,
  current: DiagnosisStage,
  event: ProgressEvent | null,
  seen: DiagnosisStage[],
  logsRead: LogsRead | null = null,
  watch: WatchProgress | null = null,
): string {
  // The engine asks the node agents only once every read, the watch too, is over.
  const readsOver = current === 'asking-node-agents';
  const done = (stage: DiagnosisStage) => readsOver || seen.includes(stage);
  return LINES.filter((stage) => stage !== 'watching-churn' || job.data.watchSeconds !== 0)
    .map((stage) => {
      const label = STAGE_LABELS[stage];
      if (stage === 'queued')
        return current === 'queued' ? `:arrow_forward: *${label}*` : `:white_check_mark: ${label}`;
      if (stage === 'watching-churn') {
        if (watch && watch.secondsLeft > 0) return `:arrow_forward: *${label}* — ${watchWords(watch)}`;
        if (watch) return `:white_check_mark: ${label} (${watchWords(watch)})`;
        if (readsOver) return `:white_check_mark: ${label}`;
        return seen.includes(stage) ? `:arrow_forward: *${label}*` : `:white_small_square: ${label}`;
      }
      const ownCounts = event && stage === current ? formatCounts(event) : '';
      const counts =
        ownCounts || (stage === 'reading-apiserver-logs' && logsRead ? formatCounts(logsRead) : '');
      if (stage === current) {
        const detail = event?.detail ? ` — ${esc(cut(event.detail, 300))}` : '';
        return `:arrow_forward: *${label}*${detail}${counts}`;
      }
      return done(stage) ? `:white_check_mark: ${label}${counts}` : `:white_small_square: ${label}`;
    })
    .join('\n');
}

function formatCounts(event: LogsRead): string {
  const parts: string[] = [];
  if (event.bytes !== undefined) parts.push(formatBytes(event.bytes));
  if (event.lines !== undefined) parts.push(plural(event.lines, 'line'));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export interface FailureView {
  message: string;
  hint: string | null;
  permanent: boolean;
  /** For transient failures that will be tried again. */
  retry: { attempt: number; of: number } | null;
}

/** A job given back to the queue by a worker shutting down: the next attempt starts it over. */
export function renderHandedBack(job: JobRef): SlackMessage {
  const scope = scopeLabel(job.data);
  return message(`Diagnosis of ${scope}: handed back, starting again on another worker`, [
    section(
      `:arrows_counterclockwise: *Diagnosis of ${esc(scope)}*: the worker running it is shutting down; it was handed back to the queue and starts again on another worker. No report from this run.`,
    ),
    jobContext(job),
  ]);
}

export function renderFailure(job: JobRef, failure: FailureView): SlackMessage {
  const scope = scopeLabel(job.data);
  if (failure.retry) {
    return message(`Diagnosis of ${scope}: attempt ${failure.retry.attempt} failed, trying again`, [
      section(
        `:arrows_counterclockwise: *Diagnosis of ${esc(scope)}*: attempt ${failure.retry.attempt} of ${failure.retry.of} failed, trying again shortly.\n> ${esc(cut(failure.message, 1000))}`,
      ),
      jobContext(job),
    ]);
  }
  const why = failure.permanent
    ? 'This needs a change before it can work:'
    : 'It failed after every attempt:';
  return message(`Diagnosis of ${scope} failed: ${failure.message}`, [
    section(
      `:x: *Diagnosis of ${esc(scope)} failed.* ${why}\n> ${esc(cut(failure.message, 1500))}${failure.hint ? `\n${esc(cut(failure.hint, 1000))}` : ''}`,
    ),
    jobContext(job),
  ]);
}
