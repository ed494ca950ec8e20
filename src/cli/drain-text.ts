import type { DrainPlan } from '../diagnosis/types.js';
import type { DrainOutcome } from '../remediation/apply/drain.js';
import { HOST_CLEANUP, HOST_CLEANUP_WARNING } from '../remediation/plans/host-cleanup.js';
import { plural } from '../text/plural.js';

const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The drain as the terminal shows it before asking: what is evicted, what stays, what may block. */
export function describeDrainPlan(plan: DrainPlan): string {
  const lines = [
    `Drain and remove Kubernetes node ${plan.downstreamNode} of ${plan.clusterId} (node object ${plan.nodeId})`,
    '',
    `Evicted (${plan.evict.length}): ${plan.evict.map(podName).join(', ') || 'none'}`,
  ];
  for (const l of plan.leave) lines.push(`Left alone: ${podName(l)} (${l.reason})`);
  for (const b of plan.blockingPodDisruptionBudgets)
    lines.push(`May block: PodDisruptionBudget ${b.namespace}/${b.name}: ${b.reason}`);
  for (const n of plan.notes) lines.push(`Note: ${n}`);
  lines.push(
    '',
    'Cordon, evict (retrying while a PodDisruptionBudget refuses, until the timeout), delete the node',
    '(its UID as precondition), then wait for Rancher to remove the node object.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** What happened, and the host's way back once the node is gone. */
export function describeDrainOutcome(outcome: DrainOutcome, plan: DrainPlan): string {
  switch (outcome.kind) {
    case 'removed': {
      const lines = [
        `Removed: ${outcome.node} drained (${plural(outcome.evicted.length, 'pod')} evicted) and deleted.`,
        outcome.machineObjectGone
          ? `Rancher removed the node object ${plan.clusterId}/${plan.nodeId}.`
          : `Rancher had not removed the node object ${plan.clusterId}/${plan.nodeId} after ${outcome.waitedSeconds} s: check it with kubectl get nodes.management.cattle.io -n ${plan.clusterId} ${plan.nodeId}.`,
        '',
        "The host's way back:",
        `  ${HOST_CLEANUP_WARNING}`,
        ...HOST_CLEANUP.map((c, i) => `  ${i + 1}. ${c.what}: ${c.how}`),
      ];
      const r = plan.registration;
      if (r) {
        const flags = r.roles.map((role) => ` --${role}`).join('');
        lines.push(
          `  ${HOST_CLEANUP.length + 1}. Register it again: ${r.maskedCommand ?? "the cluster's registration command"}`,
          `     The command with its token (a secret): kubectl get clusterregistrationtokens.management.cattle.io -n ${plan.clusterId} ${r.tokenName} -o jsonpath='{.status.nodeCommand}'${flags ? `, followed by${flags}` : ''}`,
        );
      } else {
        lines.push(
          `  ${HOST_CLEANUP.length + 1}. Register it again with the command from Rancher (Cluster Management > ${plan.clusterId} > Registration).`,
        );
      }
      return `${lines.join('\n')}\n`;
    }
    case 'stopped': {
      const why =
        outcome.reason === 'deadline'
          ? 'the drain timeout passed'
          : `stopped by ${outcome.stoppedBy ?? 'request'}`;
      const lines = [
        `Stopped (${why}): ${outcome.node} is ${outcome.cordoned ? 'left cordoned' : 'not cordoned'}; ${plural(outcome.evicted.length, 'pod')} evicted.`,
      ];
      for (const b of outcome.blocked)
        lines.push(`  blocked: ${b.pod}${b.pdbs.length ? ` by ${b.pdbs.join(', ')}` : ''}: ${b.message}`);
      if (outcome.terminating.length) lines.push(`  still terminating: ${outcome.terminating.join(', ')}`);
      lines.push(
        `Run it again once they can go, or uncordon: kubectl uncordon ${outcome.node} (in ${outcome.clusterId}).`,
      );
      return `${lines.join('\n')}\n`;
    }
    case 'refused':
      return `Refused: ${outcome.reason}. Nothing written.\n`;
    case 'failed':
      return `Failed: ${outcome.message}${outcome.cordoned ? ` (${plan.downstreamNode} is left cordoned)` : ''}\n`;
  }
}
