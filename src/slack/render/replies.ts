import { slackDate } from './dates.js';
import { PLAN_WORDS, STAGE_LABELS, watchWords } from '../../report/vocabulary.js';
import type { ClusterSummary, ProgressEvent } from '../../diagnosis/types.js';
import type { DiagnoseJobResult } from '../../queue/job-data.js';
import { oneLine } from '../../text/one-line.js';
import { plural } from '../../text/plural.js';
import { context, message, section, type SlackMessage } from './blocks.js';
import type { AuditEntry } from '../../remediation/approval/audit.js';
import type { ApprovalRefusal } from '../../remediation/approval/policy.js';
import type { Decision, FixKind } from '../../remediation/approval/decision.js';
import { decisionLines, verificationLine } from './decision-view.js';
import { codeBlock, cut, esc } from './limits.js';

const USAGE = [
  '`/rancher diagnose [cluster] [--since 30m] [--watch 60s]` — look for Rancher node objects rewritten in a loop (all clusters when none is named)',
  '`/rancher status [job-id]` — where a diagnosis is, or the recent ones',
  '`/rancher audit [n]` — the latest n entries of the audit trail (approvers only)',
  '`/rancher alerts` — open alert incidents, who acknowledged them, and snoozes',
  '`/rancher alerts test` — post a test alert in the alert channel, to check the wiring',
  '`/rancher help` — this text',
].join('\n');

export function renderHelp(problem: string | null = null): SlackMessage {
  const lead = problem ? `:grey_question: I did not understand that: ${esc(problem)}.\n\n` : '';
  return message(problem ? `Not understood: ${problem}` : 'How to use /rancher', [
    section(`${lead}*How to use /rancher*\n${USAGE}`),
    context('Reports appear in the channel where the diagnosis was asked for; fixes need an approver.'),
  ]);
}

export function renderNotAllowed(): SlackMessage {
  return message('You may not start a diagnosis here', [
    section(
      ":lock: Diagnoses cannot be started by you in this channel. Ask the bot's operators to add you or the channel.",
    ),
  ]);
}

export function renderUnknownCluster(requested: string, known: ClusterSummary[]): SlackMessage {
  const list = known.length
    ? known.map((c) => `• ${esc(c.name)} (\`${esc(c.id)}\`)`).join('\n')
    : '_no clusters are known yet_';
  const typed = oneLine(requested);
  return message(`Unknown cluster "${typed}"`, [
    section(cut(`:warning: I know no cluster called \`${esc(typed)}\`. Known clusters:\n${list}`, 2900)),
  ]);
}

export function renderQueuedAck(jobId: string, scope: string, channelId: string): SlackMessage {
  return message(`Diagnosis of ${scope} queued as ${jobId}`, [
    section(
      `:hourglass_flowing_sand: Diagnosis of *${esc(scope)}* is queued as \`${esc(jobId)}\`. Its report will appear in <#${channelId}> and be kept up to date there.`,
    ),
  ]);
}

export function renderAlreadyRunning(
  jobId: string,
  scope: string,
  state: string,
  where: string | null,
): SlackMessage {
  return message(`A diagnosis of ${scope} is already ${state}: ${jobId}`, [
    section(
      `:repeat: A diagnosis of *${esc(scope)}* is already ${esc(state)} as \`${esc(jobId)}\`: one per cluster at a time.` +
        (where ? ` Follow it here: ${where}` : ` Follow it with \`/rancher status ${esc(jobId)}\`.`),
    ),
  ]);
}

export function renderRedisDown(): SlackMessage {
  return message('The job queue is unreachable; nothing was queued', [
    section(
      ":x: The job queue (Redis) cannot be reached right now, so nothing was queued. Try again in a minute; if it persists, tell the bot's operators.",
    ),
  ]);
}

export function renderCommandFailed(): SlackMessage {
  return message('Something went wrong; nothing was queued', [
    section(
      ":x: Something went wrong while answering that, and nothing was queued. Try again; if it persists, tell the bot's operators (the bot's log says what failed).",
    ),
  ]);
}

export function renderRedisNoAnswer(): SlackMessage {
  return message('The job queue did not answer in time; the diagnosis may or may not be queued', [
    section(
      ":warning: The job queue (Redis) did not answer in time, so I cannot tell whether the diagnosis was queued. Look with `/rancher status` in a minute; if it is not there, try again. If this persists, tell the bot's operators.",
    ),
  ]);
}

export interface JobStatusView {
  jobId: string;
  scope: string;
  /** BullMQ's state: active, waiting, prioritized, delayed, completed, failed. */
  state: string;
  /** The last progress event of a job that has started, if any. */
  progress: ProgressEvent | null;
  attempts: number;
  requestedBy: string;
  requestedAt: string;
  failedReason: string | null;
  result: DiagnoseJobResult | null;
  /** The job's message: Slack's permalink, else its channel. */
  message: { channel: string; permalink: string | null } | null;
}

/** BullMQ's states in the words of the job's message. */
const STATE_WORDS: Record<string, string> = {
  active: 'running',
  waiting: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  delayed: 'waiting to try again',
  completed: 'finished',
  failed: 'failed',
};

/** What became of the job, or where it is, in a few words. */
function outcomeWords(j: JobStatusView): string {
  if (j.state === 'active' && j.progress) {
    const watch = j.progress.watch ? `, ${watchWords(j.progress.watch)}` : '';
    return ` — ${STAGE_LABELS[j.progress.stage] ?? 'running'}${watch}`;
  }
  // A job with progress that waits again was handed back by a stopping worker, or its worker died.
  if ((j.state === 'waiting' || j.state === 'prioritized') && j.progress)
    return ' — handed back unfinished, to be picked up again';
  if (j.state === 'completed' && j.result) {
    const found = j.result.findings;
    const problems = j.result.problems ? `, ${plural(j.result.problems, 'access problem')}` : '';
    if (!found.length) return ` — no write loop found${problems}`;
    const first = found[0]!;
    const where = `${first.nodeId ?? 'an object'}${first.clusterId ? ` in ${first.clusterId}` : ''}`;
    const more = found.length > 1 ? ` and ${plural(found.length - 1, 'other')}` : '';
    return ` — ${plural(found.length, 'finding')}: ${esc(where)}${more}${problems}`;
  }
  return '';
}

export function renderStatus(jobs: JobStatusView[], requestedId: string | null): SlackMessage {
  if (requestedId && !jobs.length) {
    return message(`No job ${requestedId}`, [
      section(
        `:grey_question: There is no job \`${esc(requestedId)}\` (finished jobs are kept for a while, then forgotten).`,
      ),
    ]);
  }
  if (!jobs.length)
    return message('No diagnoses', [section('No diagnosis is queued, running or recently finished.')]);
  const lines = jobs.map((j) => {
    const state = STATE_WORDS[j.state] ?? j.state;
    const failed = j.failedReason ? `\n   > ${esc(cut(oneLine(j.failedReason, 300), 300))}` : '';
    const link = j.message
      ? j.message.permalink
        ? ` · <${j.message.permalink}|its message>`
        : ` · in <#${j.message.channel}>`
      : '';
    return `• \`${esc(j.jobId)}\` ${esc(j.scope)}: *${esc(state)}*${outcomeWords(j)} · asked by <@${j.requestedBy}> ${slackDate(j.requestedAt)}${j.attempts > 1 ? ` · attempt ${j.attempts}` : ''}${link}${failed}`;
  });
  const first = jobs[0]!;
  const title = requestedId
    ? `Job ${requestedId}: ${STATE_WORDS[first.state] ?? first.state}`
    : plural(jobs.length, 'recent diagnosis', 'recent diagnoses');
  const blocks = [section(cut(lines.join('\n'), 2900))];
  // Asked about one job: every finding, also those its message had no room for.
  if (requestedId && first.result && first.result.findings.length > 1)
    blocks.push(section(findingList(first.result.findings)));
  return message(title, blocks);
}

/** Findings listed in the report's message with their buttons; the rest only here. */
const FINDINGS_IN_MESSAGE = 5;

function findingList(findings: NonNullable<JobStatusView['result']>['findings']): string {
  const lines = findings.map((f, i) => {
    const cluster = f.clusterName ?? f.clusterId ?? 'unknown cluster';
    const host = f.hostname ? ` (${esc(f.hostname)})` : '';
    const rate =
      typeof f.writesPerMinute === 'number'
        ? `, ${Math.round(f.writesPerMinute).toLocaleString('en-US')}/min`
        : '';
    const fix = f.fix && f.fix !== 'none' ? `; recommended: ${PLAN_WORDS[f.fix].title.toLowerCase()}` : '';
    return `${i + 1}. ${esc(cluster)}: \`${esc(f.nodeId ?? 'an object')}\`${host}${rate}${fix}`;
  });
  const note =
    findings.length > FINDINGS_IN_MESSAGE
      ? `\n_1 to ${FINDINGS_IN_MESSAGE} have buttons in the report; for the others, diagnose their cluster: \`/rancher diagnose <cluster>\`._`
      : '';
  return cut(`*Findings, worst first*\n${lines.join('\n')}${note}`, 2900);
}

export function renderPlanExpired(): SlackMessage {
  return message('This plan has expired', [
    section(
      ':hourglass: This plan has expired (or was already used up). Run the diagnosis again to get a fresh one: `/rancher diagnose <cluster>`.',
    ),
  ]);
}

export function renderPatchNotApprovable(): SlackMessage {
  return message('This patch cannot be approved', [
    section(
      ':warning: This patch is incomplete (some values could not be derived), so it cannot be approved. Nothing was changed. The report says what is missing.',
    ),
  ]);
}

export function renderDismissed(userId: string, target: string): SlackMessage {
  return message(`Finding for ${target} dismissed`, [
    section(`:no_bell: <@${userId}> dismissed the finding for \`${esc(target)}\`. Nothing was changed.`),
  ]);
}

export function renderClickNotRecorded(): SlackMessage {
  return message('Your click could not be recorded; try again', [
    section(
      ":x: Your click could not be recorded: the bot's store (Redis) did not answer, or something else failed, so nothing was decided. Try again in a minute; if it persists, tell the bot's operators.",
    ),
  ]);
}

/** `what` is the bot's own words for the call that failed, e.g. "post it in the report's thread". */
export function renderSlackFailedAfterClick(what: string): SlackMessage {
  return message(`Slack refused to ${what}`, [
    section(
      `:warning: Your click was taken, but Slack refused to ${what}, so the channel may not show it. Click again in a minute: a decision already recorded is shown to you, not taken twice.`,
    ),
  ]);
}

function registrationPage(clusterId: string | null): string {
  return clusterId
    ? `Rancher (Cluster Management → ${esc(clusterId)} → Registration)`
    : "Rancher (the cluster's Registration page)";
}

export function renderRegistrationNotApprover(clusterId: string | null): SlackMessage {
  return message('Only approvers can see the registration command', [
    section(
      `:lock: Only the configured approvers can see the registration command: it holds the cluster's registration token, which lets whoever has it join nodes to the cluster. Ask an approver, or copy it from ${registrationPage(clusterId)} if you may.`,
    ),
  ]);
}

export function renderRegistrationUnavailable(clusterId: string | null, why: string): SlackMessage {
  return message('The registration command could not be read', [
    section(
      `:warning: The registration command could not be read (${esc(why)}). Copy it from ${registrationPage(clusterId)}, and add the node's role flags as the report's steps show.`,
    ),
  ]);
}

/** Shown to one approver only, through the click's response_url: it holds the token. */
export function renderRegistrationCommand(clusterId: string, target: string, command: string): SlackMessage {
  return message(`Registration command for ${clusterId} (only you see this)`, [
    section(
      `:key: The registration command for ${esc(target)}, read from Rancher just now. Only you see this message. It holds the cluster's registration token: run it on the cleaned host, and do not paste it into a channel.\n${codeBlock(command, 2000)}`,
    ),
  ]);
}

const FIX_WORDS: Record<FixKind | 'any', string> = {
  patch: 'the patch',
  drain: 'the drain',
  any: 'fixes',
};

/** A click by someone the settings do not let approve (or reject, or dismiss) this. */
export function renderApprovalRefused(reason: ApprovalRefusal, kind: FixKind | 'any'): SlackMessage {
  const what = FIX_WORDS[kind];
  if (reason === 'no-approvers') {
    return message(`Nobody can approve ${what} here`, [
      section(
        `:lock: No approvers are configured for ${what}, so nobody can approve it here. Nothing was changed. The bot's operators set them (\`APPROVERS\`).`,
      ),
    ]);
  }
  if (reason === 'self-approval') {
    return message('You asked for this diagnosis: another approver approves its fix', [
      section(
        `:lock: You asked for this diagnosis, so another approver approves ${what}: a second pair of eyes is required whenever there is one. Nothing was changed.`,
      ),
    ]);
  }
  return message(`You are not an approver for ${what}`, [
    section(
      `:lock: You are not an approver for ${what}. Nothing was changed; the attempt is in the audit trail.`,
    ),
  ]);
}

export function renderRemediationOff(): SlackMessage {
  return message('Fixes are not carried out by this bot', [
    section(
      ':lock: Fixes are not carried out by this bot (remediation is off), so nothing can be approved here. Nothing was changed; apply the fix by hand as the report shows.',
    ),
  ]);
}

/** The click does not match the plan it carries (a forged or stale click): nothing is decided. */
export function renderNotThisPlan(): SlackMessage {
  return message('This button does not match its plan', [
    section(
      ':warning: This button does not match the plan it names, so nothing was decided. Run the diagnosis again.',
    ),
  ]);
}

/** `fromAlert`: the button was an alert's, whose message is renewed with fresh plans while it is open. */
export function renderApprovalExpired(fromAlert = false): SlackMessage {
  return message('The time to approve this has passed', [
    section(
      fromAlert
        ? ':hourglass: The time to approve this fix has passed, so nothing was decided. The alert renews its plans while the incident is open: use the buttons on the alert as it shows now (reload it if they look the same), or run `/rancher diagnose <cluster>` for a fresh plan.'
        : ':hourglass: The time to approve this fix has passed, so nothing was decided. Run the diagnosis again: `/rancher diagnose <cluster>` gives a fresh plan, read from the cluster now.',
    ),
  ]);
}

export function renderApprovalCounted(d: Decision): SlackMessage {
  return message(`Your approval counts: ${d.approvals.length} of ${d.required}`, [
    section(
      `:ballot_box_with_check: Your approval counts: *${d.approvals.length} of ${d.required}*. Nothing is written until another approver approves too.`,
    ),
  ]);
}

export function renderAlreadyCounted(d: Decision): SlackMessage {
  return message('You have approved this already', [
    section(
      `:ballot_box_with_check: You have approved this already; one person counts once. It needs ${d.required - d.approvals.length} more from another approver.`,
    ),
  ]);
}

/** To a click that lost: what holds the object, by whom. */
export function renderAlreadyDecided(d: Decision, now: string): SlackMessage {
  const lines = decisionLines(d, now);
  return message(`Already decided for this node: ${d.kind}`, [
    section(
      `:information_source: This node already has a decision, so your click changed nothing:\n${lines.join('\n')}`,
    ),
  ]);
}

export function renderRequestClosed(d: Decision | null, now: string): SlackMessage {
  const lines = d ? decisionLines(d, now).join('\n') : 'It was dismissed or rejected.';
  return message('This request is closed', [
    section(
      `:no_entry_sign: This request is closed, so your click changed nothing:\n${lines}\nRun the diagnosis again to propose a fix anew.`,
    ),
  ]);
}

export function renderNothingToReject(): SlackMessage {
  return message('Nothing is waiting for approval here', [
    section(
      ':information_source: Nothing is waiting for approval on this node, so there is nothing to reject. Nothing was changed.',
    ),
  ]);
}

/** In the report's thread: a fix approved, about to be carried out. */
export function renderApproved(d: Decision, target: string): SlackMessage {
  const who = d.approvals.map((a) => `<@${a.userId}>`).join(' and ');
  const what = d.kind === 'drain' ? 'drain and remove' : 'the patch';
  const title = d.kind === 'drain' ? 'Drain and remove' : 'Patch';
  const how =
    d.kind === 'patch'
      ? 'It is carried out now: the object is read again, the patch goes through a dry run, and it is written only if what it is built from is unchanged. The result follows here.'
      : 'This version does not carry out the drain: run the steps by hand, as the report shows.';
  return message(`${title} approved for ${target}`, [
    section(`:white_check_mark: ${who} approved *${what}* for \`${esc(target)}\`. ${how}`),
  ]);
}

export function renderRejected(d: Decision, target: string): SlackMessage {
  return message(`The ${d.kind} for ${target} was rejected`, [
    section(
      `:no_entry_sign: <@${d.closedBy?.userId ?? '?'}> rejected *the ${d.kind}* for \`${esc(target)}\`. Nothing was written; the request is closed.`,
    ),
  ]);
}

/** In the report's thread: what the action came to. */
export function renderRemediationResult(d: Decision, target: string, now: string): SlackMessage {
  const r = d.result;
  const lines = decisionLines(d, now);
  const diff = r?.outcome === 'applied' && r.diff ? `\nApplied:\n${codeBlock(r.diff, 2000)}` : '';
  const title =
    r?.outcome === 'applied'
      ? `Patch applied to ${target}`
      : r?.outcome === 'already-applied'
        ? `The fix was already in place on ${target}`
        : r?.outcome === 'refused'
          ? `Patch refused for ${target}: nothing written`
          : `The ${d.kind} for ${target} failed`;
  return message(title, [section(`${lines[0] ?? ''}${diff}`)]);
}

/** In the report's thread: the loop measured again after the fix. */
export function renderVerification(d: Decision, target: string): SlackMessage {
  const v = d.verification!;
  const title = v.stopped
    ? `${target}: loop stopped, ${Math.round(v.writesPerMinute)} writes/min`
    : `${target}: still looping, ${Math.round(v.writesPerMinute)} writes/min`;
  return message(title, [section(verificationLine(v))]);
}

export function renderAuditRefused(): SlackMessage {
  return message('Only approvers can read the audit trail', [
    section(':lock: Only approvers can read the audit trail.'),
  ]);
}

export function renderAudit(entries: AuditEntry[]): SlackMessage {
  if (!entries.length) return message('The audit trail is empty', [section('The audit trail is empty.')]);
  const lines = entries.map((e) => {
    const who = e.slackUser ? `<@${e.slackUser}>` : 'the bot';
    const as = e.kubernetesIdentity ? ` as \`${esc(e.kubernetesIdentity)}\`` : '';
    // On the result alone: the approvals are entries of their own, the result says whose it was.
    const approved =
      e.event === 'result' && e.approvedBy?.length
        ? `, approved by ${e.approvedBy.map((u) => `<@${esc(u)}>`).join(', ')}`
        : '';
    const object = e.nodeId ? ` \`${esc(e.clusterId ?? '?')}/${esc(e.nodeId)}\`` : '';
    const kind = e.kind ? ` ${e.kind}` : '';
    const n = e.decision ? ` #${e.decision}` : '';
    const rv =
      e.resourceVersionBefore || e.resourceVersionAfter
        ? ` (resourceVersion ${esc(e.resourceVersionBefore ?? '?')} → ${esc(e.resourceVersionAfter ?? '?')})`
        : '';
    const detail = e.detail ? `: ${esc(cut(oneLine(e.detail, 200), 200))}` : '';
    return `• ${esc(e.at.slice(0, 19).replace('T', ' '))} *${e.event}*${kind}${n}${object} by ${who}${as}${approved}${rv}${detail}`;
  });
  return message(plural(entries.length, 'audit entry', 'audit entries'), [
    section(cut(lines.join('\n'), 2900)),
    context('Newest first. Only you see this.'),
  ]);
}
