import { stringify } from 'yaml';
import type { DiagnosisReport, ProgressEvent, RegistrationRef } from '../diagnosis/types.js';
import { plural } from '../text/plural.js';
import { humanSpan } from '../text/duration.js';
import { formatRateBound } from '../text/rate.js';
import { utcMinute } from '../text/time.js';
import { buildReportModel, type FindingFacts, type RateFacts } from './model.js';
import { observedWords, PLAN_WORDS, STAGE_LABELS } from './vocabulary.js';

/** The diagnosis as plain text for a terminal: what a person needs to act. Pure. */

function indent(text: string, prefix = '    '): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** Cluster, node, host, IP, how fast and since when: the line a person reads first. */
function headline(f: FindingFacts): string {
  const { cluster, node } = f;
  const where =
    cluster.name && cluster.id && cluster.name !== cluster.id
      ? `${cluster.name} (${cluster.id})`
      : (cluster.name ?? cluster.id ?? 'unknown cluster');
  const host = [node.hostname ? `host ${node.hostname}` : null, node.ip].filter(Boolean).join(', ');
  const what = node.id ? `node ${node.id}` : f.objectKey;
  const rate = f.rate
    ? `rewritten ${formatRateBound(f.rate.writesPerMinute, f.rate.lowerBound)} times a minute`
    : 'rewritten in a loop (rate not measured)';
  return `${where}: ${what}${host ? ` (${host})` : ''} ${rate}${f.since ? ` since ${utcMinute(f.since)}` : ''}`;
}

function rateLine(r: RateFacts): string {
  const from = r.firstSeen ? `, from ${utcMinute(r.firstSeen)}` : '';
  const what = r.description ? `; ${r.description}` : '';
  return `${formatRateBound(r.writesPerMinute, r.lowerBound)}/min by the ${r.sourceLabel}: ${r.counted}${observedWords(r)}${from} (${r.signalLabel}${what})`;
}

/**
 * One finding in the order of the Slack message: headline, cause, recommendation with its risk,
 * then the details (why, evidence, the two fixes in full).
 */
function renderFinding(f: FindingFacts): string {
  const out: string[] = [];
  out.push(`Finding ${f.number}: ${headline(f)}`);
  out.push(`  Cause (confidence ${f.confidence}): ${f.cause.summary}`);
  if (f.fixAdvice) {
    out.push(`  Recommended: ${f.fixAdvice.label}: ${f.fixAdvice.reason}.`);
    if (f.fixAdvice.risk) out.push(`    Risk: ${f.fixAdvice.risk}`);
  } else {
    out.push('  Recommended: neither fix is known to fit this cause; read the evidence below.');
  }
  if (f.drain && !f.drainOffer.offered && f.drainOffer.why)
    out.push(`    The drain cannot be carried out from here: ${f.drainOffer.why}.`);
  out.push('');
  out.push(`  object: ${f.objectKey}`);
  if (f.cause.details.length) {
    out.push('  why:');
    for (const d of f.cause.details) out.push(`    - ${d}`);
  }
  out.push('  evidence:');
  if (!f.rates.length) out.push('    - no write of it was measured in this run');
  for (const r of f.rates) out.push(`    - ${rateLine(r)}`);
  if (f.fieldChanges) {
    out.push(`    - which field flips (${f.fieldChanges.sourceLabel}): ${f.fieldChanges.line}`);
    for (const d of f.fieldChanges.details) out.push(`        ${d}`);
  }
  if (f.missing.length && f.sibling)
    out.push(
      `    - its healthy sibling ${f.sibling.nodeId}${f.sibling.hostname ? ` (${f.sibling.hostname})` : ''} has ${f.missing.join(' and ')}`,
    );
  for (const e of f.evidence) {
    if (e.kind === 'node-object' || e.kind === 'downstream-node' || e.kind === 'note')
      out.push(`    - ${e.text}`);
  }
  if (f.agent) {
    const a = f.agent;
    out.push(
      `    - node agent ${a.namespace}/${a.podName} logged "Waiting for node to register" ${plural(a.waitingLines, 'time')}${a.lastWaitingAt ? `, last ${utcMinute(a.lastWaitingAt)}` : ''}; ${plural(a.errorLines, 'error line')}`,
    );
    for (const line of a.sample.slice(-1)) out.push(`      its last line: ${line}`);
  }

  const fixA = PLAN_WORDS.patch.title;
  if (f.patch?.ineligible) {
    out.push('');
    out.push(`  ${fixA}: NOT FOR THIS NODE, do not apply: ${f.patch.ineligible}.`);
  } else if (f.patch) {
    const p = f.patch;
    out.push('');
    // What approving sets off comes before the patch itself, so that it is read first.
    const notice = f.patchNotice
      ? [
          `    before applying: ${f.patchNotice.consequence}`,
          `    where each value came from: ${f.patchNotice.derivedFrom}`,
        ]
      : [];
    if (p.complete) {
      out.push(`  ${fixA} (complete), resourceVersion ${p.resourceVersion}:`);
      out.push(...notice);
      out.push('    merge patch:');
      out.push(indent(stringify(p.mergePatch), '      '));
      out.push(
        `    apply: kubectl patch nodes.management.cattle.io -n ${p.clusterId} ${p.nodeId} --type merge -p '${JSON.stringify(p.mergePatch)}'`,
      );
    } else {
      out.push(
        `  ${fixA}: INCOMPLETE, do not apply as is (resourceVersion ${p.resourceVersion}); no apply command is given.`,
      );
      out.push(...notice);
      if (p.underivable.length) {
        out.push(
          `    ${plural(p.underivable.length, 'value')} could not be derived; fill ${p.underivable.length === 1 ? 'it' : 'them'} in before applying:`,
        );
        for (const u of p.underivable) {
          out.push(`      ${u.field}: ${u.reason}`);
          out.push(
            `        fill in: ${u.fillIn ?? 'the value this host really has (compare a healthy node of the cluster)'}`,
          );
        }
      } else {
        out.push(
          '    nothing could be derived to write: compare the object with a healthy node of the cluster',
        );
      }
      if (Object.keys(p.mergePatch).length) {
        out.push('    merge patch so far (the values above are missing from it):');
        out.push(indent(stringify(p.mergePatch), '      '));
      }
      out.push(
        '    once every value is filled in, apply it as a JSON merge patch (kubectl patch --type merge) to this resourceVersion',
      );
    }
    out.push('    diff:');
    out.push(indent(p.diff, '      '));
  }
  if (f.drain) {
    const d = f.drain;
    out.push('');
    out.push(
      `  ${PLAN_WORDS.drain.title} ${d.downstreamNode ?? '(not found downstream)'} from ${d.clusterId}:`,
    );
    if (d.downstreamNode)
      out.push(`    ${reachDownstream(d.clusterId, d.downstreamKubectl, d.removal ? '1-2' : '1-4')}`);
    d.steps.forEach((s, i) => out.push(`    ${i + 1}. ${s}`));
    if (d.registration) out.push(`    ${fullCommandHint(d.clusterId, d.registration)}`);
    if (d.evict.length)
      out.push(`    pods evicted: ${d.evict.map((p) => `${p.namespace}/${p.name}`).join(', ')}`);
    for (const l of d.leave) out.push(`    left: ${l.namespace}/${l.name} (${l.reason})`);
    for (const b of d.blockingPodDisruptionBudgets)
      out.push(`    may block: PDB ${b.namespace}/${b.name}: ${b.reason}`);
    for (const n of d.notes) out.push(`    note: ${n}`);
  }
  return out.join('\n');
}

export function renderReport(report: DiagnosisReport): string {
  const model = buildReportModel(report);
  const out: string[] = [];
  const found = model.findings.length
    ? `${plural(model.findings.length, 'object')} rewritten in a loop, worst first`
    : 'no object rewritten in a loop';
  const rancher = model.rancherVersion ? ` (Rancher ${model.rancherVersion})` : '';
  out.push(
    `rancher-doctor diagnosis of ${model.scope.label}${rancher}: ${found} (${utcMinute(model.finishedAt)}, took ${humanSpan(model.durationSeconds)})`,
  );
  if (model.problems.length)
    out.push(
      `  Could not read ${plural(model.problems.length, 'thing')}: the report may be incomplete (see the end).`,
    );
  out.push('');
  for (const f of model.findings) {
    out.push(renderFinding(f));
    out.push('');
  }
  out.push('What was read:');
  if (!model.reads.length) out.push('  no write activity could be read');
  for (const r of model.reads) {
    out.push(
      `  ${r.sourceLabel}: ${r.description}: ${plural(r.requestsCounted, 'request')}, ${plural(r.hotObjects, 'hot object')}`,
    );
  }
  if (model.problems.length) {
    out.push('');
    out.push('Could not read:');
    for (const p of model.problems) {
      out.push(`  - ${p.target}${p.status ? ` (HTTP ${p.status})` : ''}: ${p.message}`);
      if (p.hint) out.push(`    what to do: ${p.hint}`);
    }
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/** How to point kubectl at the downstream cluster for the steps that run there. */
function reachDownstream(clusterId: string, kubectl: string | null | undefined, steps: string): string {
  const fromRancher = `the kubeconfig Rancher offers for ${clusterId} (Cluster Management, ${clusterId}, Download KubeConfig)`;
  return kubectl
    ? `steps ${steps} run in downstream cluster ${clusterId}: kubectl ${kubectl} (the way this diagnosis reached it), or ${fromRancher}`
    : `steps ${steps} run in downstream cluster ${clusterId}: use ${fromRancher}, or kubectl --server "$RANCHER_URL/k8s/clusters/${clusterId}" --token "$RANCHER_TOKEN"`;
}

/** One stderr line per progress event, in the words of the Slack message: "Watching writes — 55 s left, ...". */
export function renderProgress(event: ProgressEvent): string {
  const size = event.bytes !== undefined ? ` [${(event.bytes / 1048576).toFixed(1)} MiB]` : '';
  return `${STAGE_LABELS[event.stage]} — ${event.detail}${size}\n`;
}

/**
 * The report never holds the registration token (it lets whoever has it join nodes to the
 * cluster, and reports get pasted into tickets and chats): whoever runs the command line reads it
 * with their own credentials.
 */
function fullCommandHint(clusterId: string, r: RegistrationRef): string {
  const flags = r.roles.map((role) => ` --${role}`).join('');
  return `the token is left out of this report; the full command is kubectl get clusterregistrationtokens.management.cattle.io -n ${clusterId} ${r.tokenName} -o jsonpath='{.status.nodeCommand}'${flags ? `, followed by${flags}` : ''}`;
}
