import {
  expired,
  holds,
  type Decision,
  type DrainFacts,
  type FixKind,
  type ObjectState,
} from '../../remediation/approval/decision.js';
import { PLAN_WORDS } from '../../report/vocabulary.js';
import { plural } from '../../text/plural.js';
import { slackDate } from './dates.js';
import { esc } from './limits.js';

/** What the buttons of a report depend on besides the report: the settings and what was decided. */
export interface ButtonSettings {
  /** REMEDIATION_ENABLED. */
  enabled: boolean;
  /** Whether each fix has approvers configured at all. */
  approvers: Record<FixKind, boolean>;
  approvalsRequired: Record<FixKind, number>;
}

export interface ReportDecisions {
  settings: ButtonSettings;
  /** Each finding's object state, by finding id; absent: nothing decided. */
  byFinding: Record<string, ObjectState | null>;
  /** When the report was made: a request closed after it is closed for its buttons. */
  reportMadeAt: string | null;
  now: string;
}

/** Buttons as offered before anything is decided (the settings a test or an old caller assumes). */
export const NO_DECISIONS: ReportDecisions = {
  settings: {
    enabled: true,
    approvers: { patch: true, drain: true },
    approvalsRequired: { patch: 1, drain: 1 },
  },
  byFinding: {},
  reportMadeAt: null,
  now: '1970-01-01T00:00:00.000Z',
};

/** What the finding's buttons are, given its object's latest decision. */
export type ButtonState =
  | { type: 'open'; last: Decision | null }
  | { type: 'awaiting'; decision: Decision }
  | { type: 'busy'; decision: Decision }
  | { type: 'closed'; decision: Decision };

export function buttonState(
  state: ObjectState | null,
  reportMadeAt: string | null,
  now: string,
): ButtonState {
  const d = state?.current ?? null;
  if (!d) return { type: 'open', last: null };
  const closed =
    state!.closedBefore !== null && (reportMadeAt === null || reportMadeAt <= state!.closedBefore);
  if (closed && (d.status === 'dismissed' || d.status === 'rejected')) return { type: 'closed', decision: d };
  if (holds(d, now))
    return d.status === 'awaiting' ? { type: 'awaiting', decision: d } : { type: 'busy', decision: d };
  // A dismissal of an older report says nothing about this one's findings.
  if (d.status === 'dismissed' || d.status === 'rejected') return { type: 'open', last: null };
  return { type: 'open', last: d };
}

const at = (iso: string) => slackDate(iso);
const who = (users: { userId: string }[]) => users.map((a) => `<@${a.userId}>`).join(', ');
const fixName = (d: Decision) => (d.kind === 'dismiss' ? 'dismissal' : PLAN_WORDS[d.kind].approval);
const TITLES: Record<Decision['kind'], string> = {
  patch: 'Patch',
  drain: 'Drain and remove',
  dismiss: 'Dismissal',
};

function rate(perMinute: number): string {
  return perMinute >= 100
    ? Math.round(perMinute).toLocaleString('en-US')
    : String(Math.round(perMinute * 10) / 10);
}

/** The words that replace (or, for a partial approval, go with) a finding's buttons. */
export function decisionLines(d: Decision, now: string): string[] {
  const approved = `${TITLES[d.kind]} approved by ${who(d.approvals)}`;
  if (d.status === 'dismissed')
    return [
      `:no_bell: Dismissed by <@${d.closedBy?.userId ?? '?'}> at ${at(d.updatedAt)}. Nothing was changed.`,
    ];
  if (d.status === 'rejected') {
    const by = d.approvals.length ? ` (approved by ${who(d.approvals)})` : '';
    return [
      `:no_entry_sign: ${TITLES[d.kind]} rejected by <@${d.closedBy?.userId ?? '?'}> at ${at(d.updatedAt)}${by}. Nothing was written; the request is closed.`,
    ];
  }
  if (expired(d, now)) {
    return [
      `:hourglass: The approval of ${fixName(d)} expired at ${at(d.expiresAt)} with ${d.approvals.length} of ${d.required} (${who(d.approvals)}). Nothing was written; run the diagnosis again to approve a fix.`,
    ];
  }
  if (d.status === 'awaiting') {
    return [
      `:hourglass_flowing_sand: *${d.approvals.length} of ${d.required}*: approved by ${who(d.approvals)}. ${capital(fixName(d))} needs ${plural(d.required - d.approvals.length, 'more approval')} from another approver, by ${at(d.expiresAt)}.`,
    ];
  }
  if (d.status === 'queued')
    return [`:white_check_mark: ${approved} at ${at(d.updatedAt)}: queued, nothing written yet.`];
  if (d.status === 'running')
    return [
      d.kind === 'drain'
        ? `:gear: ${approved}: being carried out now (re-read, cordon, evictions, then the node's delete). *Stop* halts it after the current step, leaving the node cordoned.`
        : `:gear: ${approved}: being carried out now (re-read, dry run, then the write).`,
    ];
  const r = d.result;
  const lines: string[] = [];
  if (r?.drain && (r.outcome === 'removed' || r.outcome === 'stopped')) {
    lines.push(...drainLines(approved, r.drain, r.at));
  } else if (r?.outcome === 'applied') {
    const tries = r.attempts && r.attempts > 1 ? `, ${plural(r.attempts, 'attempt')}` : '';
    lines.push(
      `:white_check_mark: ${approved}; applied at ${at(r.at)} (resourceVersion ${esc(r.resourceVersionBefore ?? '?')} → ${esc(r.resourceVersionAfter ?? '?')}${tries}).`,
    );
  } else if (r?.outcome === 'already-applied') {
    lines.push(
      `:white_check_mark: ${approved}; at ${at(r.at)} the fix was already in place, so nothing was written.`,
    );
  } else if (r?.outcome === 'refused') {
    const changed = r.changed.length
      ? ` What it is built from changed: ${r.changed.map((c) => `\`${esc(c)}\``).join(', ')}.`
      : '';
    lines.push(
      `:no_entry: ${approved}; refused at ${at(r.at)}: ${esc(r.detail ?? 'no reason given')}.${changed} Nothing was written; run the diagnosis again for a new plan.`,
    );
  } else {
    const cordoned = r?.drain?.cordoned ? ' The node is left cordoned.' : '';
    lines.push(
      `:x: ${approved}; failed at ${at(r?.at ?? d.updatedAt)}: ${esc(r?.detail ?? 'unknown error')}.${cordoned}`,
    );
    if (r?.drain?.uncordon) lines.push(uncordonLine(r.drain.uncordon));
  }
  const v = d.verification;
  if (v) lines.push(verificationLine(v));
  else if (r?.outcome === 'applied' || r?.outcome === 'already-applied' || r?.outcome === 'removed')
    lines.push('_The loop is measured again shortly; the result comes in the thread._');
  return lines;
}

const POD_LINES = 8;

/** A drain's result: what was removed, or where it stopped and what held it. */
export function drainLines(approved: string, f: DrainFacts, when: string): string[] {
  const node = `\`${esc(f.node)}\``;
  if (f.nodeDeleted) {
    const rancher =
      f.machineObjectGone === true
        ? 'Rancher removed the node object'
        : 'Rancher had not removed the node object yet when the bot stopped waiting: check it in Rancher';
    return [
      `:white_check_mark: ${approved}; node ${node} removed at ${at(when)}: ${plural(f.evicted.length, 'pod')} evicted, the node answers NotFound, ${rancher}.`,
    ];
  }
  const why = f.stopReason === 'stop' ? `stopped by <@${f.stoppedBy ?? '?'}>` : 'stopped at DRAIN_TIMEOUT';
  const left = f.blocked.length + f.terminating.length;
  const lines = [
    `:octagonal_sign: ${approved}; ${why} at ${at(when)} with ${plural(f.evicted.length, 'pod')} evicted and ${plural(left, 'pod')} still on the node. ${f.cordoned ? `Node ${node} is left cordoned: nothing new is scheduled there.` : 'The node was not cordoned.'}`,
  ];
  for (const b of f.blocked.slice(0, POD_LINES)) {
    const pdbs = b.pdbs.length
      ? ` held by PodDisruptionBudget ${b.pdbs.map((p) => `\`${esc(p)}\``).join(', ')}`
      : '';
    lines.push(`• \`${esc(b.pod)}\`${pdbs}: ${esc(b.message)}`);
  }
  for (const t of f.terminating.slice(0, POD_LINES))
    lines.push(`• \`${esc(t)}\`: evicted, still terminating`);
  if (left > POD_LINES * 2) lines.push(`• and more`);
  if (f.uncordon) lines.push(uncordonLine(f.uncordon));
  else if (f.cordoned)
    lines.push(
      '_*Retry drain* tries again, approved anew under the same rules; *Uncordon* makes the node schedulable again._',
    );
  return lines;
}

function uncordonLine(u: NonNullable<DrainFacts['uncordon']>): string {
  const icon = u.outcome === 'failed' ? ':x:' : ':arrow_forward:';
  return `${icon} Uncordon asked by <@${u.by}> at ${at(u.at)}: ${esc(u.message)}.`;
}

export function verificationLine(v: NonNullable<Decision['verification']>): string {
  const was = v.wasWritesPerMinute !== null ? ` (was ${rate(v.wasWritesPerMinute)}/min)` : '';
  if (v.stopped) {
    const sibling =
      v.siblingWritesPerMinute !== null ? `, like its sibling (${rate(v.siblingWritesPerMinute)}/min)` : '';
    return `:tada: *Loop stopped*: ${rate(v.writesPerMinute)} writes/min${sibling}${was}.`;
  }
  if (v.detail) {
    const sibling =
      v.siblingWritesPerMinute !== null ? `; its sibling ${rate(v.siblingWritesPerMinute)}/min` : '';
    return `:grey_question: *Not clear yet*: ${rate(v.writesPerMinute)} writes/min${sibling}${was}: ${esc(v.detail)}. Diagnose again in a few minutes.`;
  }
  return `:warning: *Still looping*: ${rate(v.writesPerMinute)} writes/min${was}. Next: drain and remove the node, or look again at the node agent.`;
}

/** " — fixed" or " — not fixed" once a finding's fix was measured; "" otherwise. */
export function headlineSuffix(decisions: ReportDecisions): string {
  const measured = Object.values(decisions.byFinding).flatMap((s) =>
    s?.current?.verification ? [s.current.verification] : [],
  );
  if (!measured.length) return '';
  if (measured.every((v) => v.stopped)) return ' — fixed';
  return measured.some((v) => !v.stopped && !v.detail) ? ' — not fixed' : ' — not clear yet';
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
