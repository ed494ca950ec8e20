import type { DrainPlan, PatchPlan } from '../../diagnosis/types.js';
import type { FindingPlanIds } from '../../queue/job-reporter.js';
import type { FieldChangeFacts } from '../../report/field-change-facts.js';
import type { FindingFacts, RateFacts, ReportModel } from '../../report/model.js';
import { observedWords, PLAN_WORDS } from '../../report/vocabulary.js';
import { formatRateBound } from '../../text/rate.js';
import { plural } from '../../text/plural.js';
import { actions, message, section, type Block, type SlackMessage } from './blocks.js';
import { slackDate } from './dates.js';
import { LIMITS, codeBlock, cut, esc } from './limits.js';

type Uploads = NonNullable<SlackMessage['uploads']>;

/** Diffs longer than this go to an uploaded file; the reply keeps the start of it. */
const INLINE_DIFF_MAX = 2400;
/** Pods listed by name up to this many per list; the rest counted. */
const PODS_LISTED = 8;
const HOTTEST_SHOWN = 5;

/**
 * What the report's thread holds, for whoever wants to check before approving: per finding
 * shown, the evidence (every source's rate and over how long), the agent in one line, the diff,
 * the drain's preflight and steps; then what was read, the hottest objects and what could not be
 * read. Long diffs become files in the thread.
 */
export function reportThread(
  model: ReportModel,
  shown: FindingFacts[],
  plans: Record<string, FindingPlanIds>,
): { replies: SlackMessage[]; uploads: Uploads } {
  const uploads: Uploads = [];
  const replies = shown.map((f, index) =>
    findingDetails(f, shown.length > 1 ? index + 1 : null, plans[f.id]?.drain ?? null, uploads),
  );
  if (model.findings.length || model.reads.length) replies.push(readsReply(model));
  return { replies, uploads };
}

function target(f: FindingFacts): string {
  const cluster = f.cluster.name ?? f.cluster.id ?? 'unknown cluster';
  return `${f.subject} in ${cluster}`;
}

function findingDetails(
  f: FindingFacts,
  number: number | null,
  drainPlanId: string | null,
  uploads: Uploads,
): SlackMessage {
  const blocks: Block[] = [];
  // Bold around inline code is not bold everywhere: only the words are.
  const title = `${number ? `${number}. ` : ''}*Evidence* for \`${esc(f.subject)}\` in *${esc(f.cluster.name ?? f.cluster.id ?? 'unknown cluster')}*`;
  const why = f.cause.details.map((d) => `• ${esc(d)}`).join('\n');
  // With one finding the message itself says why this fix; where several share it, only here.
  const advice =
    number && f.fixAdvice
      ? `\n*Why ${esc(f.fixAdvice.label.toLowerCase())}:* ${esc(f.fixAdvice.reason)}.`
      : '';
  blocks.push(section(`${title}${why ? `\n${why}` : ''}${advice}`));
  blocks.push(section(evidenceText(f)));
  if (f.fieldChanges) uploads.push(fieldChangesSnippet(f, f.fieldChanges));
  if (f.patch) blocks.push(patchBlock(f.patch, uploads, f.patchNotice));
  if (f.drain) blocks.push(...drainBlocks(f, f.drain, drainPlanId));
  return message(`Evidence for ${target(f)}`, blocks);
}

function rateLine(r: RateFacts): string {
  const since = r.firstSeen ? `, from ${slackDate(r.firstSeen)}` : '';
  return `• *${formatRateBound(r.writesPerMinute, r.lowerBound)}/min* by the ${esc(r.sourceLabel)}: ${r.counted}${observedWords(r)}${since} (${esc(r.signalLabel)})`;
}

function evidenceText(f: FindingFacts): string {
  const lines = ['*Evidence*'];
  if (f.rates.length) lines.push(...f.rates.map(rateLine));
  else lines.push('• No write of it was measured in this run.');
  if (f.fieldChanges)
    lines.push(
      `• Which field flips (${esc(f.fieldChanges.sourceLabel)}): ${esc(cut(f.fieldChanges.line, 400))}; details in \`${esc(fieldChangesFile(f))}\`.`,
    );
  // The evidence's own node-object line says what the object lacks; the sibling shows it should not.
  if (f.missing.length && f.sibling) {
    const has = f.missing.map((m) => `\`${esc(m)}\``).join(' and ');
    lines.push(
      `• Its healthy sibling \`${esc(f.sibling.nodeId)}\`${f.sibling.hostname ? ` (${esc(f.sibling.hostname)})` : ''} has ${has}.`,
    );
  }
  for (const e of f.evidence) {
    if (e.kind === 'node-object' || e.kind === 'downstream-node' || e.kind === 'note')
      lines.push(`• ${esc(cut(e.text, 400))}`);
  }
  if (f.agent) {
    const a = f.agent;
    const last = a.lastWaitingAt ? `, last ${slackDate(a.lastWaitingAt)}` : '';
    const errors = a.errorLines ? `; ${plural(a.errorLines, 'error line')}` : '';
    lines.push(
      `• Node agent \`${esc(a.namespace)}/${esc(a.podName)}\` logged "Waiting for node to register" ${plural(a.waitingLines, 'time')}${last}${errors}.`,
    );
  }
  return lines.join('\n');
}

function fieldChangesFile(f: FindingFacts): string {
  return `fields-${f.cluster.id ?? 'object'}-${f.node.id ?? f.number}.txt`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Every path that changed, with counts, the writers and the users: a snippet in the thread. */
function fieldChangesSnippet(f: FindingFacts, c: FieldChangeFacts): Uploads[number] {
  return {
    filename: fieldChangesFile(f),
    title: `Which field flips on ${f.subject}`,
    content: `${c.details.join('\n')}\n`,
  };
}

function patchBlock(p: PatchPlan, uploads: Uploads, notice: FindingFacts['patchNotice']): Block {
  if (p.ineligible)
    return section(
      `*${PLAN_WORDS.patch.title}*: :no_entry_sign: not for this node, not offered for approval: ${esc(p.ineligible)}.`,
    );
  const incomplete = p.complete
    ? ''
    : `\n:warning: *Incomplete: not offered for approval.* Could not derive ${p.underivable
        .map((u) => `\`${esc(u.field)}\` (${esc(u.reason)})`)
        .join(', ')}. Fill ${p.underivable.length === 1 ? 'it' : 'them'} in by hand, or use the drain.`;
  // What approving sets off, and where each value came from, next to the patch itself.
  const before = notice
    ? `\n:warning: ${esc(notice.consequence)}\n_Where each value came from:_ ${esc(notice.derivedFrom)}`
    : '';
  const lead = `*${PLAN_WORDS.patch.title}*: one merge patch of \`${esc(p.clusterId)}/${esc(p.nodeId)}\` (seen at resourceVersion ${esc(p.resourceVersion)})${incomplete}${before}`;
  if (p.diff.length <= INLINE_DIFF_MAX) {
    return section(`${lead}\n${codeBlock(p.diff, LIMITS.sectionText - lead.length - 1)}`);
  }
  const filename = `patch-${p.clusterId}-${p.nodeId}.diff`;
  uploads.push({ filename, title: `Patch for ${p.clusterId}/${p.nodeId}`, content: p.diff });
  const note = `\n_The diff is ${p.diff.length.toLocaleString('en-US')} characters: the whole of it is in \`${esc(filename)}\` in this thread; its start:_`;
  return section(`${lead}${note}\n${codeBlock(p.diff, LIMITS.sectionText - lead.length - note.length - 1)}`);
}

function podList(pods: { namespace: string; name: string }[]): string {
  const shown = pods.slice(0, PODS_LISTED).map((p) => `\`${esc(p.namespace)}/${esc(p.name)}\``);
  const more = pods.length > PODS_LISTED ? ` and ${pods.length - PODS_LISTED} more` : '';
  return shown.join(', ') + more;
}

/**
 * The drain as planned: what is evicted and left alone (or why that is not known), the
 * PodDisruptionBudgets in the way, the notes; then the steps with the registration command, its
 * token masked. An approver gets the whole command, for their eyes only, with the Show button.
 */
function drainBlocks(f: FindingFacts, d: DrainPlan, drainPlanId: string | null): Block[] {
  const known = d.evict.length > 0 || d.leave.length > 0;
  const pods = known
    ? `${plural(d.evict.length, 'pod')} to evict, ${d.leave.length} left alone`
    : `the pods on it are not known${d.notes.length ? ' (see below)' : ''}`;
  const lines = [
    `*${PLAN_WORDS.drain.title}*: \`${esc(d.downstreamNode ?? 'not found downstream')}\`, ${pods}`,
  ];
  if (!f.drainOffer.offered && f.drainOffer.why)
    lines.push(`:no_entry_sign: Not offered for approval: ${esc(f.drainOffer.why)}.`);
  if (d.evict.length) lines.push(`Evicted: ${podList(d.evict)}`);
  const emptyDir = d.evict.filter((p) => p.emptyDir);
  if (emptyDir.length) lines.push(`:warning: Their \`emptyDir\` data is lost: ${podList(emptyDir)}`);
  const lone = d.evict.filter((p) => p.noController);
  if (lone.length) lines.push(`:warning: No controller, not re-created elsewhere: ${podList(lone)}`);
  if (d.registration?.roles.length) lines.push(`Roles of the node: ${d.registration.roles.join(', ')}`);
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
    section(cut(lines.join('\n'), LIMITS.sectionText)),
    section(`*Steps*\n${cut(steps, LIMITS.sectionText - register.length - 12)}${register}`),
  ];
  if (showable) {
    blocks.push(
      actions('registration', [
        { text: 'Show registration command', actionId: 'show_registration', value: drainPlanId },
      ]),
    );
  }
  return blocks;
}

/** What each source read, the hottest objects with each source's rate, and what could not be read. */
function readsReply(model: ReportModel): SlackMessage {
  const blocks: Block[] = [];
  const reads = model.reads.map(
    (r) =>
      `• ${esc(r.sourceLabel)}: ${esc(cut(r.description, 300))}; ${plural(r.linesRead, 'line')}, ${plural(r.requestsCounted, 'request')}, ${plural(r.hotObjects, 'hot object')}`,
  );
  blocks.push(
    section(`*What was read*\n${reads.length ? reads.join('\n') : 'No write activity could be read.'}`),
  );
  const hot = model.hottest.slice(0, HOTTEST_SHOWN);
  if (hot.length) {
    const lines = hot.map(
      (h, i) =>
        `${i + 1}. \`${esc(h.key)}\`: ${h.rates
          .map((r) => `${formatRateBound(r.writesPerMinute, r.lowerBound)}/min (${esc(r.sourceLabel)})`)
          .join(', ')}`,
    );
    const more = model.hottest.length > hot.length ? `\n… and ${model.hottest.length - hot.length} more` : '';
    blocks.push(section(cut(`*Hottest objects*\n${lines.join('\n')}${more}`, LIMITS.sectionText)));
  }
  // With no finding the message itself lists the problems.
  if (model.problems.length && model.findings.length) {
    const lines = model.problems.map(
      (p) =>
        `• \`${esc(p.target)}\`${p.status ? ` (HTTP ${p.status})` : ''}: ${esc(p.message)}${p.hint ? `\n   _${esc(p.hint)}_` : ''}`,
    );
    blocks.push(section(cut(`:no_entry: *Could not read*\n${lines.join('\n')}`, LIMITS.sectionText)));
  }
  return message('What the diagnosis read', blocks);
}
