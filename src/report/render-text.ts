import { stringify } from 'yaml';
import type { DiagnosisReport, ProgressEvent, RegistrationRef } from '../diagnosis/types.js';
import { plural } from '../text/plural.js';
import { buildReportModel, type FindingFacts, type RateFacts } from './model.js';
import { PLAN_WORDS, STAGE_LABELS } from './vocabulary.js';

/** The diagnosis as plain text for a terminal: what a person needs to act. Pure. */

function indent(text: string, prefix = '    '): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function renderFinding(f: FindingFacts): string {
  const out: string[] = [];
  const { cluster, node } = f;
  const where = cluster.id ? `${cluster.id}${cluster.name ? ` (${cluster.name})` : ''}` : 'n/a';
  out.push(`Finding ${f.number}: ${f.cause.summary}`);
  out.push(`  cluster:    ${where}`);
  out.push(`  object:     ${f.objectKey}`);
  if (node.id)
    out.push(
      `  node:       ${node.id}${node.hostname ? `  host ${node.hostname}` : ''}${node.ip ? `  IP ${node.ip}` : ''}`,
    );
  if (!f.rates.length) out.push('  writes:     not measured in this run');
  f.rates.forEach((r, i) => out.push(`  ${i === 0 ? 'writes:    ' : '           '} ${rateText(r)}`));
  if (f.agent) {
    out.push(
      `  agent:      ${f.agent.namespace}/${f.agent.podName}: ${f.agent.waitingLines} × "Waiting for node to register"${f.agent.lastWaitingAt ? ` (last ${f.agent.lastWaitingAt})` : ''}, ${f.agent.errorLines} × "Error while getting agent config"`,
    );
  }
  if (f.missing.length) out.push(`  missing:    ${f.missing.join(', ')}`);
  if (f.sibling)
    out.push(
      `  compared with healthy sibling ${f.sibling.nodeId}${f.sibling.hostname ? ` (${f.sibling.hostname})` : ''}`,
    );
  out.push(`  cause:      ${f.cause.code}  (confidence ${f.confidence})`);
  for (const d of f.cause.details) out.push(`    - ${d}`);
  if (f.fixAdvice) out.push(`  which fix:  ${f.fixAdvice.label}: ${f.fixAdvice.reason}`);
  out.push('  evidence:');
  for (const e of f.evidence) out.push(`    [${e.kind}] ${e.text}`);

  const fixA = `Fix ${PLAN_WORDS.patch.letter}, ${PLAN_WORDS.patch.name}`;
  if (f.patch) {
    const p = f.patch;
    out.push('');
    if (p.complete) {
      out.push(`  ${fixA} (complete), resourceVersion ${p.resourceVersion}:`);
      out.push('    merge patch:');
      out.push(indent(stringify(p.mergePatch), '      '));
      out.push(
        `    apply: kubectl patch nodes.management.cattle.io -n ${p.clusterId} ${p.nodeId} --type merge -p '${JSON.stringify(p.mergePatch)}'`,
      );
    } else {
      out.push(
        `  ${fixA}: INCOMPLETE, do not apply as is (resourceVersion ${p.resourceVersion}); no apply command is given.`,
      );
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
      `  Fix ${PLAN_WORDS.drain.letter}, ${PLAN_WORDS.drain.name} and remove ${d.downstreamNode ?? '(node not found downstream)'} from ${d.clusterId}:`,
    );
    if (d.downstreamNode) out.push(`    ${reachDownstream(d.clusterId, d.downstreamKubectl)}`);
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
  out.push(`rancher-doctor diagnosis of ${model.scope.label} (${model.startedAt} .. ${model.finishedAt})`);
  for (const r of model.reads) {
    out.push(
      `  evidence: ${r.description}: ${plural(r.requestsCounted, 'request')}, ${plural(r.hotObjects, 'hot object')}`,
    );
  }
  out.push('');
  if (!model.findings.length) out.push('No node object rewritten in a loop was found.');
  for (const f of model.findings) {
    out.push(renderFinding(f));
    out.push('');
  }
  if (model.problems.length) {
    out.push('Could not read:');
    for (const p of model.problems) {
      out.push(`  - ${p.target}${p.status ? ` (HTTP ${p.status})` : ''}: ${p.message}`);
      if (p.hint) out.push(`    what to do: ${p.hint}`);
    }
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function rateText(r: RateFacts): string {
  const by = `${r.writesPerMinute}/min, measured by the ${r.sourceLabel}`;
  if (r.description === null) return `${by} (${r.counted} counted from ${r.signalLabel})`;
  if (r.source === 'churn') return `${by}: ${r.counted} seen by the ${r.description}`;
  return `${by}: ${r.counted} in the ${r.description}, counted from ${r.signalLabel}`;
}

/** How to point kubectl at the downstream cluster for the steps that run there. */
function reachDownstream(clusterId: string, kubectl: string | null | undefined): string {
  const fromRancher = `the kubeconfig Rancher offers for ${clusterId} (Cluster Management, ${clusterId}, Download KubeConfig)`;
  return kubectl
    ? `steps 1-4 run in downstream cluster ${clusterId}: kubectl ${kubectl} (the way this diagnosis reached it), or ${fromRancher}`
    : `steps 1-4 run in downstream cluster ${clusterId}: use ${fromRancher}, or kubectl --server "$RANCHER_URL/k8s/clusters/${clusterId}" --token "$RANCHER_TOKEN"`;
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
