import type {
  DiagnosisReport,
  DiagnosisStage,
  DrainPlan,
  PatchPlan,
  ProgressEvent,
  WatchProgress,
} from '../../diagnosis/types.js';
import {
  buildReportModel,
  type FindingFacts,
  type ReportModel,
  type ScopeFacts,
} from '../../report/model.js';
import { STAGE_LABELS, watchWords } from '../../report/vocabulary.js';
import { plural } from '../../text/plural.js';
import { scopeLabel, type DiagnoseJobData } from '../../queue/job-data.js';
import {
  actions,
  context,
  divider,
  header,
  message,
  section,
  type Block,
  type SlackMessage,
} from './blocks.js';
import { LIMITS, codeBlock, cut, esc } from './limits.js';
import { formatBytes } from '../../text/bytes.js';
import { formatSeconds } from '../../text/duration.js';
import type { FindingPlanIds } from '../../queue/job-reporter.js';
import { findingActions } from './finding-actions.js';
import { headlineSuffix, NO_DECISIONS, type ReportDecisions } from './decision-view.js';

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

/** Diffs longer than this go to an uploaded file; the report keeps the start of it. */
const INLINE_DIFF_MAX = 2400;
const MAX_FINDINGS_SHOWN = 5;

export function renderReport(
  job: JobRef,
  report: DiagnosisReport,
  plans: Record<string, FindingPlanIds>,
  decisions: ReportDecisions = NO_DECISIONS,
): SlackMessage {
  const model = buildReportModel(report);
  const scope = scopeLabel(job.data);
  const blocks: Block[] = [];
  const uploads: NonNullable<SlackMessage['uploads']> = [];
  const findings = model.findings;
  const title = findings.length
    ? `${findings.length === 1 ? 'A node object' : `${findings.length} objects`} rewritten in a loop`
    : 'No write loop found';
  blocks.push(header(`Rancher diagnosis: ${title}${headlineSuffix(decisions)}`));
  if (findings.length) blocks.push(...hottestBlocks(model));

  findings.slice(0, MAX_FINDINGS_SHOWN).forEach((finding, index) => {
    if (index > 0) blocks.push(divider());
    blocks.push(...findingBlocks(finding, index, plans[finding.id] ?? null, uploads, decisions));
  });
  if (findings.length > MAX_FINDINGS_SHOWN) {
    blocks.push(
      context(
        `… ${plural(findings.length - MAX_FINDINGS_SHOWN, 'more finding', 'more findings')}; run \`rancher-doctor diagnose\` for all`,
      ),
    );
  }
  if (!findings.length) blocks.push(...noFindingBlocks(model));
  if (model.problems.length) blocks.push(...problemBlocks(model));

  blocks.push(jobContext(job, [`finished in ${model.durationSeconds}s`], model.scope));

  const first = findings[0];
  const text = first
    ? `Diagnosis of ${scope}: ${headlineText(first)}`
    : `Diagnosis of ${scope}: no write loop found${model.problems.length ? `, ${plural(model.problems.length, 'access problem')}` : ''}`;
  return message(text, blocks, uploads);
}

function headlineText(f: FindingFacts): string {
  const cluster = f.cluster.name ?? f.cluster.id ?? 'unknown cluster';
  const rate = f.rate ? `${formatRate(f.rate.writesPerMinute)} writes/min` : 'write rate unknown';
  return `${cluster}, node ${f.subject}, ${rate}`;
}

function formatRate(perMinute: number): string {
  return perMinute >= 100 ? Math.round(perMinute).toLocaleString('en-US') : perMinute.toFixed(1);
}

function findingBlocks(
  f: FindingFacts,
  index: number,
  plans: FindingPlanIds | null,
  uploads: NonNullable<SlackMessage['uploads']>,
  decisions: ReportDecisions,
): Block[] {
  const blocks: Block[] = [];
  const cluster = f.cluster.name
    ? `*${esc(f.cluster.name)}* (\`${esc(f.cluster.id ?? '?')}\`)`
    : `\`${esc(f.cluster.id ?? 'unknown cluster')}\``;
  const host = [f.node.hostname, f.node.ip]
    .filter(Boolean)
    .map((v) => esc(v!))
    .join(', ');
  const rate = f.rate
    ? `*${formatRate(f.rate.writesPerMinute)} writes/min* (${f.rate.counted}, from the ${f.rate.sourceLabel})`
    : 'write rate unknown';
  blocks.push(
    section(
      `:rotating_light: ${cluster} · node \`${esc(f.subject)}\`${host ? ` (${host})` : ''}\n${rate} · confidence ${f.confidence}`,
    ),
  );
  const details = f.cause.details.map((d) => `• ${esc(d)}`).join('\n');
  blocks.push(section(`*Cause*\n${esc(f.cause.summary)}${details ? `\n${details}` : ''}`));

  const evidence: string[] = [];
  if (f.missing.length) {
    const sibling = f.sibling ? ` that its healthy sibling \`${esc(f.sibling.nodeId)}\` has` : '';
    evidence.push(`*Node object lacks*${sibling}: ${f.missing.map((m) => `\`${esc(m)}\``).join(', ')}`);
  }
  const otherLines = f.evidence.filter((e) => e.kind !== 'agent-log').slice(0, 6);
  if (otherLines.length) evidence.push(otherLines.map((e) => `• ${esc(e.text)}`).join('\n'));
  if (evidence.length) blocks.push(section(`*Evidence*\n${evidence.join('\n')}`));

  if (f.agent) {
    const a = f.agent;
    const summary = `*Node agent* \`${esc(a.namespace)}/${esc(a.podName)}\`: ${plural(a.waitingLines, '"waiting for node to register" line')}${a.errorLines ? `, ${plural(a.errorLines, 'error line')}` : ''}${a.lastWaitingAt ? `, last at ${esc(a.lastWaitingAt)}` : ''}`;
    const sample = a.sample.slice(-5).join('\n');
    blocks.push(
      section(sample ? `${summary}\n${codeBlock(sample, LIMITS.sectionText - summary.length - 1)}` : summary),
    );
  }

  if (f.patch) blocks.push(patchBlock(f.patch, uploads));
  if (f.drain) blocks.push(...drainBlocks(f.drain, index, plans?.drain ?? null));

  if (plans) blocks.push(...findingActions(f, index, plans, decisions));
  return blocks;
}

/** The hot objects Slack lists; the command line's report leaves them to `scan-logs`. */
const HOTTEST_SHOWN = 3;

/**
 * Every hot object once for the whole report, with each source's rate. It leads, before the
 * findings it explains: a list under each finding said the same thing again, and one at the end
 * is what Slack's 50-block limit cuts first.
 */
function hottestBlocks(model: ReportModel): Block[] {
  const hot = model.hottest.slice(0, HOTTEST_SHOWN);
  if (!hot.length) return [];
  const lines = hot.map(
    (h, i) =>
      `${i + 1}. \`${esc(h.key)}\` — ${h.rates
        .map((r) => `${formatRate(r.writesPerMinute)} writes/min (${r.sourceLabel})`)
        .join(' · ')}`,
  );
  return [section(`*Hottest objects*\n${lines.join('\n')}`), divider()];
}

function patchBlock(p: PatchPlan, uploads: NonNullable<SlackMessage['uploads']>): Block {
  const incomplete = p.complete
    ? ''
    : `\n:warning: *Incomplete: not offered for approval.* Could not derive ${p.underivable
        .map((u) => `\`${esc(u.field)}\` (${esc(u.reason)})`)
        .join(', ')}. Fill ${p.underivable.length === 1 ? 'it' : 'them'} in by hand, or use the drain fix.`;
  const lead = `*Patch fix* — merge patch on \`${esc(p.clusterId)}/${esc(p.nodeId)}\` at resourceVersion ${esc(p.resourceVersion)}${incomplete}`;
  if (p.diff.length <= INLINE_DIFF_MAX) {
    return section(`${lead}\n${codeBlock(p.diff, LIMITS.sectionText - lead.length - 1)}`);
  }
  const filename = `patch-${p.clusterId}-${p.nodeId}.diff`;
  uploads.push({ filename, title: `Patch for ${p.clusterId}/${p.nodeId}`, content: p.diff });
  const note = `\n_The diff is ${p.diff.length.toLocaleString('en-US')} characters: the whole of it is in \`${esc(filename)}\` in this thread; its start:_`;
  return section(`${lead}${note}\n${codeBlock(p.diff, LIMITS.sectionText - lead.length - note.length - 1)}`);
}

/** Pods listed by name up to this many per list; the rest counted. */
const PODS_LISTED = 8;

function podList(pods: { namespace: string; name: string }[]): string {
  const shown = pods.slice(0, PODS_LISTED).map((p) => `\`${esc(p.namespace)}/${esc(p.name)}\``);
  const more = pods.length > PODS_LISTED ? ` and ${pods.length - PODS_LISTED} more` : '';
  return shown.join(', ') + more;
}

/**
 * The drain fix as the plan has it: what is evicted and what is left alone (or why the pods are
 * not known), the PodDisruptionBudgets in the way, the plan's notes; then the steps, with the
 * registration command after them, its token masked. An approver gets the whole command, only for
 * their eyes, from the Show button (its own block: it stays once the finding is decided).
 */
function drainBlocks(d: DrainPlan, index: number, drainPlanId: string | null): Block[] {
  const known = d.evict.length > 0 || d.leave.length > 0;
  const pods = known
    ? `${plural(d.evict.length, 'pod')} to evict, ${d.leave.length} left alone`
    : `pods on it not known${d.notes.length ? ' (see the notes)' : ''}`;
  const lines = [`*Drain fix* — node \`${esc(d.downstreamNode ?? 'not found downstream')}\`, ${pods}`];
  if (d.evict.length) lines.push(`Evicted: ${podList(d.evict)}`);
  const byReason = new Map<string, DrainPlan['leave']>();
  for (const l of d.leave) byReason.set(l.reason, [...(byReason.get(l.reason) ?? []), l]);
  for (const [reason, left] of byReason) lines.push(`Left alone, ${esc(reason)}: ${podList(left)}`);
  for (const b of d.blockingPodDisruptionBudgets)
    lines.push(`:warning: PodDisruptionBudget \`${esc(b.namespace)}/${esc(b.name)}\` ${esc(b.reason)}`);
  for (const n of d.notes) lines.push(`:information_source: ${esc(n)}`);

  const command = d.registration?.maskedCommand ?? null;
  const steps = d.steps
    .map((step, i) => {
      const text = command && step.includes(command) ? step.replace(command, '(the command below)') : step;
      return `${i + 1}. ${esc(text)}`;
    })
    .join('\n');
  const showable = d.registration !== null && drainPlanId !== null;
  const where = `Rancher (Cluster Management → ${esc(d.clusterId)} → Registration)`;
  const tokenNote = !d.registration
    ? ''
    : showable
      ? `\n_The token is left out: an approver gets the whole command with *Show registration command* (only they see it), or copies it from ${where}._`
      : `\n_The token is left out: copy the whole command from ${where}._`;
  const register = command ? `\nRegistration command:\n${codeBlock(command, 1200)}${tokenNote}` : tokenNote;
  const blocks = [
    section(lines.join('\n')),
    section(`*Steps*\n${cut(steps, LIMITS.sectionText - register.length - 12)}${register}`),
  ];
  if (showable) {
    blocks.push(
      actions(`registration-${index}`, [
        { text: 'Show registration command', actionId: 'show_registration', value: drainPlanId },
      ]),
    );
  }
  return blocks;
}

function noFindingBlocks(model: ReportModel): Block[] {
  const lines = model.reads.map((r) => {
    const top = r.busiest;
    return `• ${esc(r.description)}: ${plural(r.linesRead, 'line')}, ${plural(r.requestsCounted, 'request')}${top ? `; busiest \`${esc(top.key)}\` at ${formatRate(top.writesPerMinute)} writes/min` : ''}`;
  });
  const clusters = model.clusters.map((c) => `${esc(c.name)} (\`${esc(c.id)}\`)`).join(', ');
  return [
    section(
      `:white_check_mark: No object is being rewritten in a loop${clusters ? ` in ${clusters}` : ''}.` +
        (lines.length ? `\n*What was read*\n${lines.join('\n')}` : '\nNo write activity could be read.'),
    ),
  ];
}

function problemBlocks(model: ReportModel): Block[] {
  const lines = model.problems.map(
    (p) =>
      `• \`${esc(p.target)}\`${p.status ? ` (HTTP ${p.status})` : ''}: ${esc(p.message)}${p.hint ? `\n   _${esc(p.hint)}_` : ''}`,
  );
  return [
    section(`:no_entry: *Could not read everything* — the report may be incomplete:\n${lines.join('\n')}`),
  ];
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
