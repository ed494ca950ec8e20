import type { DiagnosisReport } from '../../diagnosis/types.js';
import type { FindingPlanIds } from '../../queue/job-reporter.js';
import { buildReportModel, type FindingFacts, type ReportModel } from '../../report/model.js';
import { plural } from '../../text/plural.js';
import { formatSeconds } from '../../text/duration.js';
import { scopeLabel } from '../../queue/job-data.js';
import { context, message, section, type Block, type SlackMessage } from './blocks.js';
import { slackDate } from './dates.js';
import { headlineSuffix, NO_DECISIONS, type ReportDecisions } from './decision-view.js';
import { findingActions } from './finding-actions.js';
import { esc, cut } from './limits.js';
import { formatRateBound } from '../../text/rate.js';
import { reportThread } from './report-thread.js';
import type { JobRef } from './job-messages.js';

/** Findings shown with their own headline and buttons; `/rancher status <job>` lists the rest. */
export const MAX_FINDINGS_SHOWN = 5;

/**
 * The report as the person on call reads it: what is looping and where, why, what to do and its
 * risk, and the buttons, on the first screen; the evidence, the diff and the drain's steps in
 * the message's thread (`thread`), posted once the report is final.
 */
export function renderReport(
  job: JobRef,
  report: DiagnosisReport,
  plans: Record<string, FindingPlanIds>,
  decisions: ReportDecisions = NO_DECISIONS,
): SlackMessage {
  const model = buildReportModel(report);
  const findings = model.findings;
  const shown = findings.slice(0, MAX_FINDINGS_SHOWN);
  const blocks: Block[] = [];

  if (findings.length === 1) {
    const f = findings[0]!;
    blocks.push(section(`${headline(f)}${headlineSuffix(decisions)}`));
    blocks.push(section(causeAndAdvice(f)));
    if (plans[f.id]) blocks.push(...findingActions(f, 0, plans[f.id]!, decisions));
  } else if (findings.length > 1) {
    blocks.push(
      section(`:rotating_light: *${severalTitle(model)}*, worst first${headlineSuffix(decisions)}:`),
    );
    shown.forEach((f, index) => {
      blocks.push(section(`${headline(f)}\n${shortAdvice(f)}`));
      if (plans[f.id]) blocks.push(...findingActions(f, index, plans[f.id]!, decisions));
    });
    if (findings.length > shown.length) {
      const rest = findings.length - shown.length;
      blocks.push(
        context(
          `… and ${plural(rest, 'more finding', 'more findings')}, less written: \`/rancher status ${esc(job.jobId)}\` lists them (only you see the answer).`,
        ),
      );
    }
  } else {
    blocks.push(section(noFinding(model, job)));
  }

  if (model.problems.length) blocks.push(problemsBlock(model));
  blocks.push(reportContext(job, model));

  const thread = reportThread(model, shown, plans);
  return { ...message(fallback(model, job), blocks, thread.uploads), thread: thread.replies };
}

function clusterWords(f: FindingFacts): string {
  const { id, name } = f.cluster;
  if (name && id && name !== id) return `*${esc(name)}* (\`${esc(id)}\`)`;
  return `*${esc(name ?? id ?? 'unknown cluster')}*`;
}

/** Cluster, node, host, IP, how fast and since when. */
function headline(f: FindingFacts): string {
  const host = [f.node.hostname ? `host *${esc(f.node.hostname)}*` : null, f.node.ip ? esc(f.node.ip) : null]
    .filter(Boolean)
    .join(', ');
  const what = f.node.id ? `node \`${esc(f.node.id)}\`` : `\`${esc(f.objectKey)}\``;
  const rate = f.rate
    ? `rewritten *${formatRateBound(f.rate.writesPerMinute, f.rate.lowerBound)} times a minute*`
    : 'rewritten in a loop (rate not measured)';
  const since = f.since ? ` since ${slackDate(f.since)}` : '';
  return `:rotating_light: ${clusterWords(f)}: ${what}${host ? ` (${host})` : ''} ${rate}${since}`;
}

function causeAndAdvice(f: FindingFacts): string {
  const lines = [`*Cause* (confidence ${f.confidence}): ${esc(f.cause.summary)}`];
  const a = f.fixAdvice;
  if (a) {
    lines.push(`*Recommended: ${esc(a.label)}*: ${esc(cut(a.reason, 400))}.`);
    if (a.risk) lines.push(`_Risk:_ ${esc(a.risk)}`);
  } else {
    lines.push('*Recommended:* neither fix is known to fit this cause: read the evidence in the thread.');
  }
  return lines.join('\n');
}

/** One line of advice per finding where several share a message; the reasons are in the thread. */
function shortAdvice(f: FindingFacts): string {
  const a = f.fixAdvice;
  return a
    ? `Recommended: *${esc(a.label)}*. ${esc(cut(f.cause.summary, 200))}`
    : `No fix is known to fit: ${esc(cut(f.cause.summary, 200))}`;
}

function severalTitle(model: ReportModel): string {
  const clusters = new Set(model.findings.map((f) => f.cluster.id ?? '?'));
  const objects = model.findings.every((f) => f.node.id) ? 'node objects' : 'objects';
  return `${model.findings.length} ${objects} rewritten in a loop${clusters.size > 1 ? ` in ${clusters.size} clusters` : ''}`;
}

function noFinding(model: ReportModel, job: JobRef): string {
  const clusters = model.clusters.length
    ? model.clusters.map((c) => `${esc(c.name)} (\`${esc(c.id)}\`)`).join(', ')
    : esc(scopeLabel(job.data));
  // Nothing read rules nothing out: that is not the all-clear.
  if (!model.reads.length)
    return `:grey_question: *No write activity could be read* in ${cut(clusters, 600)}, so a loop cannot be ruled out.`;
  const read = `Read: ${model.reads.map((r) => `${esc(r.sourceLabel)} (${plural(r.requestsCounted, 'request')})`).join(', ')}; details in the thread.`;
  return `:white_check_mark: *No object is being rewritten in a loop* in ${cut(clusters, 600)}.\n${read}`;
}

/** The access problems, short: where findings are shown the details go to the thread. */
function problemsBlock(model: ReportModel): Block {
  const intro = `:no_entry: *Could not read ${plural(model.problems.length, 'thing')}*: the report may be incomplete.`;
  if (model.findings.length) return context(`${intro} What and what to grant: in the thread.`);
  const lines = model.problems.map(
    (p) =>
      `• \`${esc(cut(p.target, 120))}\`${p.status ? ` (HTTP ${p.status})` : ''}: ${esc(cut(p.message, 200))}${p.hint ? `\n   _${esc(cut(p.hint, 200))}_` : ''}`,
  );
  return section(cut(`${intro}\n${lines.join('\n')}`, 2900));
}

function reportContext(job: JobRef, model: ReportModel): Block {
  const short = model.scope.watchCutShort;
  const early = model.scope.watchEndedEarly;
  const watched = short
    ? `watched ${formatSeconds(short.watchedSeconds)} of the ${formatSeconds(short.askedSeconds)} asked`
    : early
      ? `watched writes ${formatSeconds(early.watchedSeconds)} (ended early, the loop plain; ${formatSeconds(early.askedSeconds)} asked)`
      : model.scope.watchedSeconds
        ? `watched writes ${formatSeconds(model.scope.watchedSeconds)}`
        : null;
  const thread = model.findings.length || model.reads.length ? 'evidence in the thread' : null;
  const parts = [
    `job \`${esc(job.jobId)}\``,
    `asked by <@${job.data.requestedBy}>`,
    `took ${formatSeconds(model.durationSeconds)}`,
    model.rancherVersion ? `Rancher ${esc(model.rancherVersion)}` : null,
    job.data.sinceSeconds ? `logs of the last ${formatSeconds(job.data.sinceSeconds)}` : null,
    watched,
    thread,
  ].filter(Boolean);
  return context(parts.join(' · '));
}

/** What a notification shows: where, which node, and what to do. Plain: message() escapes it. */
function fallback(model: ReportModel, job: JobRef): string {
  const f = model.findings[0];
  if (!f) {
    if (!model.reads.length)
      return `Diagnosis of ${scopeLabel(job.data)}: no write activity could be read, a loop is not ruled out.`;
    const problems = model.problems.length
      ? `, but ${plural(model.problems.length, 'thing')} could not be read`
      : '';
    return `No write loop found in ${scopeLabel(job.data)}${problems}.`;
  }
  const cluster = f.cluster.name ?? f.cluster.id ?? 'unknown cluster';
  const rate = f.rate
    ? ` rewritten ${formatRateBound(f.rate.writesPerMinute, f.rate.lowerBound)} times a minute`
    : ' rewritten in a loop';
  const host = f.node.hostname ? ` (${f.node.hostname})` : '';
  const todo = f.fixAdvice
    ? `Recommended: ${f.fixAdvice.label.toLowerCase()}.`
    : 'No known fix: read the report.';
  const more =
    model.findings.length > 1
      ? ` And ${plural(model.findings.length - 1, 'more finding', 'more findings')}.`
      : '';
  return `${cluster}: node ${f.subject}${host}${rate}. ${todo}${more}`;
}
