import { stringify } from 'yaml';
import type { DiagnosisReport, Finding, ProgressEvent } from './types.js';

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
  out.push(
    `  writes:     ${f.writeRate ? `${f.writeRate.writesPerMinute}/min (${f.writeRate.writes} in the window, from ${f.writeRate.source}, ${f.writeRate.signal})` : 'not measured in this run'}`,
  );
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
  out.push('  evidence:');
  for (const e of f.evidence) out.push(`    [${e.kind}] ${e.text}`);

  if (f.patchPlan) {
    const p = f.patchPlan;
    out.push('');
    out.push(
      `  Fix A, patch (${p.complete ? 'complete' : 'INCOMPLETE: do not apply as is'}), resourceVersion ${p.resourceVersion}:`,
    );
    for (const u of p.underivable) out.push(`    cannot derive ${u.field}: ${u.reason}`);
    out.push('    merge patch:');
    out.push(indent(stringify(p.mergePatch), '      '));
    out.push(
      `    apply: kubectl patch nodes.management.cattle.io -n ${p.clusterId} ${p.nodeId} --type merge -p '${JSON.stringify(p.mergePatch)}'`,
    );
    out.push('    diff:');
    out.push(indent(p.diff, '      '));
  }
  if (f.drainPlan) {
    const d = f.drainPlan;
    out.push('');
    out.push(
      `  Fix B, drain and remove ${d.downstreamNode ?? '(node not found downstream)'} from ${d.clusterId}:`,
    );
    d.steps.forEach((s, i) => out.push(`    ${i + 1}. ${s}`));
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
  const scope = report.scope.clusterId ?? `all ${report.clusters.length} cluster(s)`;
  out.push(`rancher-doctor diagnosis of ${scope} (${report.startedAt} .. ${report.finishedAt})`);
  for (const a of report.activity) {
    out.push(
      `  evidence: ${a.description}: ${a.summary.requestsCounted} requests, ${a.summary.hot.length} hot object(s)`,
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
      out.push(`    ${p.hint}`);
    }
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

export function renderProgress(event: ProgressEvent): string {
  const size = event.bytes !== undefined ? ` [${(event.bytes / 1048576).toFixed(1)} MiB]` : '';
  return `[${event.stage}] ${event.detail}${size}\n`;
}
