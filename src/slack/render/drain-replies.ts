import type { DrainPlan } from '../../diagnosis/types.js';
import type { Decision } from '../../remediation/approval/decision.js';
import { HOST_CLEANUP, HOST_CLEANUP_WARNING } from '../../remediation/plans/host-cleanup.js';
import { actions, message, section, type Block, type SlackMessage } from './blocks.js';
import { decisionLines } from './decision-view.js';
import { codeBlock, esc } from './limits.js';

/**
 * In the report's thread: what the drain came to. Once the node is removed, the host's way back:
 * clean it first, then register it again. The registration command is shown with its token
 * masked; the whole of it goes only to an approver who asks (Show registration command).
 */
export function renderDrainResult(
  d: Decision,
  target: string,
  plan: DrainPlan | null,
  now: string,
): SlackMessage {
  const r = d.result;
  const lines = decisionLines(d, now);
  if (r?.outcome === 'stopped')
    return message(`Drain of ${target} stopped: the node is left cordoned`, [section(lines.join('\n'))]);
  if (r?.outcome !== 'removed')
    return message(
      r?.outcome === 'refused'
        ? `Drain refused for ${target}: nothing written`
        : `The drain for ${target} failed`,
      [section(lines.join('\n'))],
    );
  const blocks: Block[] = [section(lines.join('\n')), ...wayBack(d, plan)];
  return message(`Node removed: ${target}. Clean the host, then register it again`, blocks);
}

function wayBack(d: Decision, plan: DrainPlan | null): Block[] {
  const steps = HOST_CLEANUP.map((c, i) => `${i + 1}. *${esc(c.what)}*: \`${esc(c.how)}\``).join('\n');
  const clean = section(
    `*The host's way back*, on the host itself, in this order. :warning: ${esc(HOST_CLEANUP_WARNING)}\n${steps}\n_With its Kubernetes node gone, the cleanup Job Rancher creates cannot run there: this is by hand._`,
  );
  const reg = plan?.registration ?? null;
  const where = `Rancher (Cluster Management → ${esc(plan?.clusterId ?? d.planId)} → Registration)`;
  const flags = reg?.roles.length ? reg.roles.map((r) => `--${r}`).join(' ') : null;
  const register = reg?.maskedCommand
    ? section(
        `${HOST_CLEANUP.length + 1}. *Register it again*, once it is clean:\n${codeBlock(reg.maskedCommand, 1500)}\n_The token is left out: an approver gets the whole command with *Show registration command* (only they see it), or copies it from ${where}._`,
      )
    : section(
        `${HOST_CLEANUP.length + 1}. *Register it again*, once it is clean, with the command from ${where}${flags ? ` and \`${flags}\`` : ''}.`,
      );
  const blocks = [clean, register];
  if (reg)
    blocks.push(
      actions('registration', [
        { text: 'Show registration command', actionId: 'show_registration', value: d.planId },
      ]),
    );
  return blocks;
}

export function renderStopAsked(userId: string, target: string): SlackMessage {
  return message(`Stop asked for the drain of ${target}`, [
    section(
      `:octagonal_sign: <@${userId}> asked the drain of ${esc(target)} to stop: it stops after its current step and leaves the node cordoned.`,
    ),
  ]);
}

export function renderNoDrainRunning(): SlackMessage {
  return message('No drain is running there', [
    section(':information_source: No drain of this node is being carried out now: there is nothing to stop.'),
  ]);
}

export function renderUncordonQueued(userId: string, target: string): SlackMessage {
  return message(`Uncordon asked for ${target}`, [
    section(
      `:arrow_forward: <@${userId}> asked to uncordon the node of ${esc(target)}; the result comes here.`,
    ),
  ]);
}

export function renderNothingToUncordon(): SlackMessage {
  return message('Nothing to uncordon', [
    section(':information_source: No stopped drain left this node cordoned: nothing to uncordon.'),
  ]);
}

export function renderUncordonResult(d: Decision, target: string): SlackMessage {
  const u = d.result?.drain?.uncordon;
  const ok = u && u.outcome !== 'failed';
  return message(ok ? `${target}: uncordoned` : `${target}: uncordon failed`, [
    section(
      `${ok ? ':arrow_forward:' : ':x:'} Uncordon asked by <@${u?.by ?? '?'}>: ${esc(u?.message ?? 'no answer')}.`,
    ),
  ]);
}
