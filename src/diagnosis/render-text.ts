import { stringify } from 'yaml';
import { signalWords, sourceWords } from './findings.js';
import type {
  AccessProblem,
  DiagnosisReport,
  Finding,
  ProgressEvent,
  RegistrationRef,
  WriteRate,
  WriteSighting,
} from './types.js';
import { plural } from '../text/plural.js';
import { STAGE_LABELS } from './progress-words.js';

/** The diagnosis as plain text for a terminal: what a person needs to act. Pure. */

function indent(text: string, prefix = '    '): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function renderFinding(f: Finding, index: number): string {
  const out: string[] = [];
  const where = f.clusterId ? `${f.clusterId}${f.clusterName ? ` (${f.clusterName})` : ''}` : 'n/a';
  out.push(`Finding ${index + 1}: ${f.cause.summary}`);
  out.push(`  cluster:    ${where}`);
  out.push(`  object:     ${f.objectKey}`);
  if (f.nodeId)
    out.push(
      `  node:       ${f.nodeId}${f.hostname ? `  host ${f.hostname}` : ''}${f.ip ? `  IP ${f.ip}` : ''}`,
    );
  const rates: (WriteRate | WriteSighting)[] = f.writeRates?.length
    ? f.writeRates
    : f.writeRate
      ? [f.writeRate]
      : [];
  if (!rates.length) out.push('  writes:     not measured in this run');
  rates.forEach((r, i) => out.push(`  ${i === 0 ? 'writes:    ' : '           '} ${rateText(r)}`));
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
  if (f.fixAdvice) {
    const which =
      f.fixAdvice.fix === 'drain'
        ? 'Fix B (drain)'
        : f.fixAdvice.fix === 'patch'
          ? 'Fix A (patch)'
          : 'neither yet';
    out.push(`  which fix:  ${which}: ${f.fixAdvice.reason}`);
  }
  out.push('  evidence:');
  for (const e of f.evidence) out.push(`    [${e.kind}] ${e.text}`);

  if (f.patchPlan) {
    const p = f.patchPlan;
    out.push('');
    if (p.complete) {
      out.push(`  Fix A, patch (complete), resourceVersion ${p.resourceVersion}:`);
      out.push('    merge patch:');
      out.push(indent(stringify(p.mergePatch), '      '));
      out.push(
        `    apply: kubectl patch nodes.management.cattle.io -n ${p.clusterId} ${p.nodeId} --type merge -p '${JSON.stringify(p.mergePatch)}'`,
      );
    } else {
      out.push(
        `  Fix A, patch: INCOMPLETE, do not apply as is (resourceVersion ${p.resourceVersion}); no apply command is given.`,
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
  if (f.drainPlan) {
    const d = f.drainPlan;
    out.push('');
    out.push(
      `  Fix B, drain and remove ${d.downstreamNode ?? '(node not found downstream)'} from ${d.clusterId}:`,
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
  const out: string[] = [];
  const scope = report.scope.clusterId ?? `all ${plural(report.clusters.length, 'cluster')}`;
  out.push(`rancher-doctor diagnosis of ${scope} (${report.startedAt} .. ${report.finishedAt})`);
  for (const a of report.activity) {
    out.push(
      `  evidence: ${a.description}: ${plural(a.summary.requestsCounted, 'request')}, ${plural(a.summary.hot.length, 'hot object')}`,
    );
  }
  out.push('');
  if (!report.findings.length) out.push('No node object rewritten in a loop was found.');
  report.findings.forEach((f, i) => {
    out.push(renderFinding(f, i));
    out.push('');
  });
  if (report.problems.length) {
    out.push('Could not read:');
    for (const p of report.problems) {
      out.push(`  - ${p.target}${p.status ? ` (HTTP ${p.status})` : ''}: ${p.message}`);
      const hint = problemHint(p);
      if (hint) out.push(`    what to do: ${hint}`);
    }
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function rateText(r: WriteRate | WriteSighting): string {
  const by = `${r.writesPerMinute}/min, measured by ${sourceWords(r.source)}`;
  if (!('description' in r))
    return `${by} (${plural(r.writes, r.source === 'churn' ? 'update' : 'write')} counted from ${signalWords(r.signal)})`;
  if (r.source === 'churn') return `${by}: ${plural(r.writes, 'update')} seen by the ${r.description}`;
  return `${by}: ${plural(r.writes, 'write')} in the ${r.description}, counted from ${signalWords(r.signal)}`;
}

/** How to point kubectl at the downstream cluster for the steps that run there. */
function reachDownstream(clusterId: string, kubectl: string | null | undefined): string {
  const fromRancher = `the kubeconfig Rancher offers for ${clusterId} (Cluster Management, ${clusterId}, Download KubeConfig)`;
  return kubectl
    ? `steps 1-4 run in downstream cluster ${clusterId}: kubectl ${kubectl} (the way this diagnosis reached it), or ${fromRancher}`
    : `steps 1-4 run in downstream cluster ${clusterId}: use ${fromRancher}, or kubectl --server "$RANCHER_URL/k8s/clusters/${clusterId}" --token "$RANCHER_TOKEN"`;
}

/** The hint, unless it only says again what the message said. */
function problemHint(p: AccessProblem): string | null {
  const hint = p.hint.trim();
  if (!hint) return null;
  const norm = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return norm(p.message).includes(norm(hint)) ? null : hint;
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
