import { parseDurationSeconds } from '../text/duration.js';

/** What a `/rancher ...` text asks for. Parsing is pure so every reply can be tested without Slack. */
export type RancherCommand =
  | { kind: 'diagnose'; cluster: string | null; sinceSeconds: number | null; watchSeconds: number | null }
  | { kind: 'status'; jobId: string | null }
  | { kind: 'help' }
  | { kind: 'invalid'; problem: string };

const MAX_SINCE_SECONDS = 7 * 86400;
const MAX_WATCH_SECONDS = 15 * 60;

export function parseRancherCommand(text: string): RancherCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [sub, ...rest] = words;
  if (sub === undefined || sub === 'help') {
    return rest.length ? invalid(`"help" takes no arguments, got "${rest.join(' ')}"`) : { kind: 'help' };
  }
  if (sub === 'diagnose') return parseDiagnose(rest);
  if (sub === 'status') {
    if (rest.length > 1) return invalid(`"status" takes at most one job id, got "${rest.join(' ')}"`);
    const jobId = rest[0] ?? null;
    if (jobId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(jobId)) return invalid(`"${jobId}" is not a job id`);
    return { kind: 'status', jobId };
  }
  return invalid(`unknown subcommand "${sub}"`);
}

function parseDiagnose(args: string[]): RancherCommand {
  let cluster: string | null = null;
  let sinceSeconds: number | null = null;
  let watchSeconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? arg.split('=', 2) : [arg, undefined];
    if (flag === '--since' || flag === '--watch') {
      const value = inline ?? args[++i];
      if (value === undefined) return invalid(`${flag} needs a duration such as 30m`);
      const seconds = parseDurationSeconds(value);
      if (seconds === null || seconds === 0)
        return invalid(`${flag} "${value}" is not a duration such as 90s, 30m or 2h`);
      if (flag === '--since') {
        if (seconds > MAX_SINCE_SECONDS) return invalid(`--since ${value} is more than 7d`);
        sinceSeconds = seconds;
      } else {
        if (seconds > MAX_WATCH_SECONDS) return invalid(`--watch ${value} is more than 15m`);
        watchSeconds = seconds;
      }
      continue;
    }
    if (arg.startsWith('-')) return invalid(`unknown option "${arg}" (options: --since, --watch)`);
    if (cluster !== null) return invalid(`one cluster at a time: got "${cluster}" and "${arg}"`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(arg))
      return invalid(`"${arg}" is not a cluster id or name`);
    cluster = arg;
  }
  return { kind: 'diagnose', cluster, sinceSeconds, watchSeconds };
}

function invalid(problem: string): RancherCommand {
  return { kind: 'invalid', problem };
}

/** Who may start a diagnosis: empty lists mean everyone, everywhere. */
export function mayDiagnose(
  who: { userId: string; channelId: string },
  allowed: { channels: string[]; users: string[] },
): boolean {
  const channelOk = allowed.channels.length === 0 || allowed.channels.includes(who.channelId);
  const userOk = allowed.users.length === 0 || allowed.users.includes(who.userId);
  return channelOk && userOk;
}
