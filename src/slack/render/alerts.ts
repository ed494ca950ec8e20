/**
 * The alert channel's messages: one per incident, edited in place from firing to diagnosed (the
 * report of `/rancher diagnose`, with its buttons, under the alert's own lines) to resolved; the
 * notes in its thread; the summary of a burst; the lost-contact notice; the sample.
 */
import type {
  DiagnosisOutcome,
  Incident,
  IncidentNote,
  LostContact,
  Snooze,
} from '../../alerts/incidents.js';
import { ALERT_REQUESTER, findingOf } from '../../alerts/incident.js';
import { buildReportModel } from '../../report/model.js';
import { formatBytes } from '../../text/bytes.js';
import { humanSpan } from '../../text/duration.js';
import { plural } from '../../text/plural.js';
import { actions, context, message, section, type Block, type SlackMessage } from './blocks.js';
import { slackDate } from './dates.js';
import { headlineSuffix, NO_DECISIONS, type ReportDecisions } from './decision-view.js';
import { findingActions } from './finding-actions.js';
import { esc } from './limits.js';
import { renderReport } from './report.js';
import { renderRemediationStep } from './remediation-step.js';
import { formatRate as formatNumber } from '../../text/rate.js';

const formatRate = (perMinute: number) => `${formatNumber(perMinute)} writes a minute`;

export const ALERT_ACTIONS = {
  ack: 'alert_ack',
  snooze1h: 'alert_snooze_1h',
  snooze4h: 'alert_snooze_4h',
} as const;

export const SNOOZE_SECONDS: Record<string, number> = {
  [ALERT_ACTIONS.snooze1h]: 3600,
  [ALERT_ACTIONS.snooze4h]: 4 * 3600,
};

/** What the incident is about, in a few words: the node object and its cluster, or the alert's summary. */
function subject(i: Incident): string {
  const slash = i.objectKey?.indexOf('/') ?? -1;
  if (i.objectKey && slash > 0)
    return `node object \`${esc(i.objectKey.slice(slash + 1))}\` of cluster \`${esc(i.objectKey.slice(0, slash))}\``;
  return esc(i.summary);
}

function rateWords(i: Incident): string {
  return i.writesPerMinute !== null ? `, ${formatRate(i.writesPerMinute)}` : '';
}

function headline(i: Incident, now: number, fixed: string): string {
  switch (i.state) {
    case 'resolved':
      return `:white_check_mark: *Resolved:* loop on ${subject(i)}${fixed}. It lasted ${humanSpan(lastedSeconds(i, now))}${
        i.peakPerMinute !== null ? `, peak ${formatRate(i.peakPerMinute)}` : ''
      }.`;
    default:
      // The rate shown is the last one drawn, from before the fix: said as the past.
      if (fixed === FIXED)
        return `:white_check_mark: *Loop on ${subject(i)}*${fixed}. It ran${i.writesPerMinute !== null ? ` at ${formatRate(i.writesPerMinute)}` : ''} from ${slackDate(i.startsAt, '{time}')}; the alert resolves once the rate stays under the threshold.`;
      return `:rotating_light: *Loop on ${subject(i)}*${rateWords(i)}, since ${slackDate(i.startsAt, '{time}')}${fixed}.`;
  }
}

const FIXED = ' — fixed';

/**
 * " — fixed", " — not fixed", " — not clear yet" once the fix of the incident's own object (of
 * every finding, for an incident naming none) was measured, as the report's headline says it.
 */
function fixWords(i: Incident, d: DiagnosisOutcome | null, decisions: ReportDecisions): string {
  if (!d) return '';
  const own = i.objectKey ? findingOf(i, d.report) : null;
  if (i.objectKey && !own) return '';
  const byFinding = own ? { [own.id]: decisions.byFinding[own.id] ?? null } : decisions.byFinding;
  return headlineSuffix({ ...decisions, byFinding });
}

function lastedSeconds(i: Incident, now: number): number {
  const end = i.resolvedAt ? Date.parse(i.resolvedAt) : now;
  return Math.max(0, Math.round((end - Date.parse(i.startsAt)) / 1000));
}

function status(i: Incident): string | null {
  const d = i.diagnosis;
  if (i.state === 'resolved' || !d) return null;
  if (d.state === 'queued')
    return `:hourglass_flowing_sand: Diagnosis of \`${esc(i.clusterId ?? 'all clusters')}\` queued (job \`${esc(d.jobId)}\`).`;
  if (d.state === 'running')
    return `:mag: Diagnosing \`${esc(i.clusterId ?? 'all clusters')}\` (job \`${esc(d.jobId)}\`)…`;
  if (d.state === 'failed') return `:warning: The diagnosis failed: ${esc(d.error ?? 'no reason given')}`;
  return null;
}

function footer(i: Incident): Block {
  const parts = [
    `incident \`${esc(i.fingerprint)}\``,
    `from ${i.source === 'watch' ? 'the node watch' : i.source === 'metrics' ? "the apiserver's metrics" : 'Alertmanager'}`,
  ];
  if (i.ack) parts.push(`:eyes: acknowledged by <@${i.ack.userId}> at ${slackDate(i.ack.at, '{time}')}`);
  if (i.dismissed) parts.push(`dismissed by <@${i.dismissed.userId}>: quiet until resolved`);
  if (i.previous)
    parts.push(
      `happened before: since ${slackDate(i.previous.startsAt, '{date_short} {time}')}${
        i.previous.message?.permalink ? ` (<${i.previous.message.permalink}|previous alert>)` : ''
      }`,
    );
  return context(parts.join(' · '));
}

function alertButtons(i: Incident): Block {
  return actions(`alert:${i.fingerprint}`.slice(0, 255), [
    { text: 'Acknowledge', actionId: ALERT_ACTIONS.ack, value: i.fingerprint },
    { text: 'Snooze 1 h', actionId: ALERT_ACTIONS.snooze1h, value: i.fingerprint },
    { text: 'Snooze 4 h', actionId: ALERT_ACTIONS.snooze4h, value: i.fingerprint },
  ]);
}

/** The diagnosis as the report renderer knows a job. */
export function alertJobRef(d: DiagnosisOutcome, channel = 'alerts') {
  return {
    jobId: d.jobId,
    data: {
      v: 1 as const,
      clusterId: d.clusterId,
      clusterName: null,
      sinceSeconds: null,
      watchSeconds: null,
      channelId: channel,
      requestedBy: ALERT_REQUESTER,
      requestedAt: d.requestedAt,
    },
  };
}

/**
 * The incident's message as it stands. A message in a summary's thread shows its own finding only.
 * `decisions` are what is decided on the report's objects now: a fix decided shows its decision,
 * not its buttons, however often the message is edited.
 */
export function renderIncident(
  i: Incident,
  diagnosis: DiagnosisOutcome | null,
  now: number,
  decisions: ReportDecisions = NO_DECISIONS,
): SlackMessage {
  const fixed = fixWords(i, diagnosis, decisions);
  const blocks: Block[] = [section(headline(i, now, fixed))];
  const line = status(i);
  if (line) blocks.push(section(line));
  if (i.state === 'diagnosed' && diagnosis) {
    if (i.summaryRoot) blocks.push(...ownFinding(i, diagnosis, decisions));
    else
      blocks.push(
        ...askedByTheAlert(
          renderReport(alertJobRef(diagnosis), diagnosis.report, diagnosis.plans, decisions).blocks,
        ),
      );
  }
  blocks.push(footer(i));
  if (i.state !== 'resolved') blocks.push(alertButtons(i));
  const text =
    i.state === 'resolved'
      ? `Resolved: ${plainSubject(i)}${fixed}`
      : `Loop on ${plainSubject(i)}${i.writesPerMinute !== null && fixed !== FIXED ? `, ${formatRate(i.writesPerMinute)}` : ''}${fixed}`;
  return message(text, blocks);
}

/** The report says who asked for it: here, the alert, not a person to mention. */
function askedByTheAlert(blocks: Block[]): Block[] {
  return JSON.parse(
    JSON.stringify(blocks).replaceAll(`asked by <@${ALERT_REQUESTER}>`, 'asked by this alert'),
  ) as Block[];
}

function ownFinding(i: Incident, d: DiagnosisOutcome, decisions: ReportDecisions): Block[] {
  const finding = findingOf(i, d.report);
  if (!finding) return [section('The diagnosis did not find this object looping any more.')];
  const model = buildReportModel({ ...d.report, findings: [finding] });
  const f = model.findings[0];
  const plans = d.plans[finding.id];
  const out: Block[] = [section(`*Cause:* ${esc(finding.cause.summary)}`)];
  if (f && plans) out.push(...findingActions(f, 0, plans, decisions));
  return out;
}

function plainSubject(i: Incident): string {
  const slash = i.objectKey?.indexOf('/') ?? -1;
  if (i.objectKey && slash > 0)
    return `node object ${i.objectKey.slice(slash + 1)} of cluster ${i.objectKey.slice(0, slash)}`;
  return i.summary;
}

/** Slack's limits: 3000 characters a section, 50 blocks a message (two kept for the head and foot). */
const SECTION_CHARS = 2900;
const LIST_SECTIONS = 45;

/** Every object of a burst, listed in as many sections as it takes, in the order they are posted. */
export function renderSummary(incidents: Incident[]): SlackMessage {
  const sections: string[][] = [[]];
  let size = 0;
  let listed = 0;
  for (const i of incidents) {
    const line = `• ${subject(i)}${rateWords(i)}`;
    if (size + line.length + 1 > SECTION_CHARS && sections.at(-1)!.length) {
      if (sections.length === LIST_SECTIONS) break;
      sections.push([]);
      size = 0;
    }
    sections.at(-1)!.push(line);
    size += line.length + 1;
    listed++;
  }
  if (listed < incidents.length) sections.at(-1)!.push(`… and ${incidents.length - listed} more`);
  return message(`${plural(incidents.length, 'node object')} started looping`, [
    section(`:rotating_light: *${plural(incidents.length, 'object')} started looping within a minute:*`),
    ...sections.map((lines) => section(lines.join('\n'))),
    context('Each is an incident of its own, with its buttons, in this thread, in the order listed.'),
  ]);
}

export function renderNote(i: Incident, note: IncidentNote): SlackMessage {
  if (note.kind === 'remediation')
    return renderRemediationStep(note.step, note.decision, note.target, note.drainPlan, note.at);
  const text = noteText(note);
  return message(text.replace(/[*:`]/g, ''), [section(text)]);
}

function noteText(note: Exclude<IncidentNote, { kind: 'remediation' }>): string {
  switch (note.kind) {
    case 'rate-doubled':
      return `:chart_with_upwards_trend: The rate doubled: ${formatRate(note.writesPerMinute)} (was ${formatRate(note.wasPerMinute)}).`;
    case 'acknowledged':
      return `:eyes: <@${note.userId}> is on it.`;
    case 'snoozed':
      return `:zzz: Snoozed by <@${note.userId}> until ${slackDate(note.until, '{date_short} {time}')}: no new alert for this object until then.`;
    case 'dismissed':
      return `:see_no_evil: Dismissed by <@${note.userId}>: no more alerts or notes for this object until it is resolved.`;
    case 'diagnosis-failed':
      return `:warning: The diagnosis failed: ${esc(note.error)}`;
    case 'diagnosis-elsewhere':
      return `:mag: A diagnosis of this cluster was already running (job \`${esc(note.jobId)}\`): its report will be shown here.`;
    case 'plans-renewed':
      return `:arrows_counterclockwise: A new diagnosis renewed the plans on the alert before they expired, and what it offers changed. Now: ${offerWords(note.offered)} (was: ${offerWords(note.was)}). The buttons on the alert are the new ones.`;
    case 'resolved':
      return `:white_check_mark: Resolved: under the loop threshold for long enough. It lasted ${humanSpan(note.lastedSeconds)}${
        note.peakPerMinute !== null ? `, peak ${formatRate(note.peakPerMinute)}` : ''
      }.`;
  }
}

function offerWords(offer: string[]): string {
  return offer.length
    ? offer.map((o) => esc(o)).join('; ')
    : 'nothing, the object is no longer found looping';
}

export function renderLostContact(info: LostContact): SlackMessage {
  const rates = info.lastRates.length
    ? info.lastRates.map((r) => `• \`${esc(r.key)}\` ${formatRate(r.writesPerMinute)}`).join('\n')
    : 'no node object was being written';
  const memory =
    info.apiserverMemoryBytes !== null
      ? ` The apiserver last used ${formatBytes(info.apiserverMemoryBytes)} of memory.`
      : '';
  return message('The alert detector lost contact with the local apiserver', [
    section(
      `:warning: *The alert detector lost contact with the local apiserver* at ${slackDate(info.since, '{time}')}: no looping object can be named until it answers again (while its /metrics can still be read, a loop still raises a cluster-wide alert).${memory}`,
    ),
    section(`Last write rates it saw:\n${rates}`),
  ]);
}

/** The sample `/rancher alerts test` posts: an alert as it would look, marked as a test at both ends. */
export function renderSampleAlert(requestedBy: string | null): SlackMessage {
  const who = requestedBy ? `<@${requestedBy}> ran` : 'Someone ran';
  return message('TEST alert, not a real one: the alert channel works', [
    section(
      `:test_tube: *TEST: not a real alert.* ${who} \`/rancher alerts test\` to check that alerts reach this channel.`,
    ),
    section(
      ':rotating_light: *Loop on node object `example-node` of cluster `c-example`*, 1,200 writes a minute.',
    ),
    context(
      'A real alert looks like the line above: one message per incident, edited as it is diagnosed (with the fix buttons) and when it is resolved. This test opened no incident and snoozed nothing: there is nothing to do.',
    ),
  ]);
}

const STATE_WORDS: Record<Incident['state'], string> = {
  pending: 'about to be posted',
  firing: 'firing',
  diagnosing: 'being diagnosed',
  diagnosed: 'diagnosed, the fix buttons are on the alert',
  resolved: 'resolved',
};

/** What a fingerprint is about, for a list: the node object when it names one. */
function fingerprintSubject(fingerprint: string): string {
  const m = /^node:([^/]+)\/(.+)$/.exec(fingerprint);
  return m ? `node object \`${esc(m[2]!)}\` of cluster \`${esc(m[1]!)}\`` : `\`${esc(fingerprint)}\``;
}

/** `/rancher alerts`: what is open, who is on it, what is snoozed. Times are the reader's own. */
export function renderAlertList(open: Incident[], snoozes: Snooze[]): SlackMessage {
  const lines = open.length
    ? open.map((i) => {
        const link = i.message?.permalink ? ` (<${i.message.permalink}|alert>)` : '';
        const who = i.ack ? `acknowledged by <@${i.ack.userId}>` : '*nobody has acknowledged it*';
        return `• ${subject(i)}${rateWords(i)}: ${STATE_WORDS[i.state]}; since ${slackDate(i.startsAt, '{date_short_pretty} {time} ({ago})')}; ${who}${link}`;
      })
    : ['No open incident.'];
  const snoozed = snoozes.length
    ? snoozes.map(
        (s) =>
          `• ${fingerprintSubject(s.fingerprint)} until ${slackDate(s.until, '{date_short_pretty} {time}')}, by <@${s.userId}>`,
      )
    : ['Nothing snoozed.'];
  return message(`${plural(open.length, 'open incident')}, ${plural(snoozes.length, 'snooze')}`, [
    section(`*Open incidents (${open.length})*\n${lines.join('\n')}`.slice(0, 2900)),
    section(
      `*Snoozed (${snoozes.length}):* no new alert for these until then\n${snoozed.join('\n')}`.slice(
        0,
        2900,
      ),
    ),
  ]);
}

export function renderAlertsOff(): SlackMessage {
  return message('Alerts are off: ALERT_CHANNEL is not set', [
    section(
      ':no_bell: *Alerts are off:* no alert channel is set, so no loop is alerted and there is nothing to list or test.',
    ),
    section(
      "To turn them on, set `ALERT_CHANNEL` to the id of the channel alerts should go to (e.g. `C0123ABCD`: the channel's details show it), invite the bot to that channel, and restart the bot and its workers with it. `/rancher alerts test` then checks the wiring. More in docs/alerts.md.",
    ),
  ]);
}

export function renderSampleSent(channel: string | null): SlackMessage {
  const where = channel ? `<#${channel}>` : 'the alert channel';
  return message('A test alert is on its way', [
    section(
      `:test_tube: A test alert is on its way to ${where}, marked as a test. It opens no incident and snoozes nothing. If it does not show up, check that the bot is in that channel.`,
    ),
  ]);
}
