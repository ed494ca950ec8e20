import { parseDurationSeconds } from '../text/duration.js';
import { oneLine } from '../text/one-line.js';

/** What a `/rancher ...` text asks for. Parsing is pure so every reply can be tested without Slack. */
export type RancherCommand =
  | { kind: 'diagnose'; cluster: string | null; sinceSeconds: number | null; watchSeconds: number | null }
  | { kind: 'status'; jobId: string | null }
  | { kind: 'audit'; count: number }
  | { kind: 'alerts'; test: boolean }
  | { kind: 'help' }
  | { kind: 'invalid'; problem: string };

const MAX_SINCE_SECONDS = 7 * 86400;
const MAX_WATCH_SECONDS = 15 * 60;
const SUBCOMMANDS = ['diagnose', 'status', 'audit', 'alerts', 'help'] as const;
const AUDIT_DEFAULT = 10;
const AUDIT_MAX = 50;
const OPTIONS = ['--since', '--watch'] as const;

/**
 * Cluster ids and display names as typed: letters of any script, digits, spaces and `_ . -`.
 * Anything else (mrkdwn, control characters) is refused before it reaches Redis or an answer.
 */
const CLUSTER_ARG = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} _.-]{0,99}$/u;

export function parseRancherCommand(text: string): RancherCommand {
  const split = splitWords(text);
  if (typeof split === 'string') return invalid(split);
  const [typed, ...rest] = split;
  const sub = typed?.toLowerCase();
  if (sub === undefined || sub === 'help') {
    return rest.length
      ? invalid(`"help" takes no arguments, got "${quote(rest.join(' '))}"`)
      : { kind: 'help' };
  }
  if (sub === 'diagnose') return parseDiagnose(rest);
  if (sub === 'alerts') {
    if (rest.length === 0) return { kind: 'alerts', test: false };
    if (rest.length === 1 && rest[0]!.toLowerCase() === 'test') return { kind: 'alerts', test: true };
    return invalid(`"alerts" takes nothing or "test", got "${quote(rest.join(' '))}"`);
  }
  if (sub === 'status') {
    if (rest.length > 1) return invalid(`"status" takes at most one job id, got "${quote(rest.join(' '))}"`);
    const jobId = rest[0] ?? null;
    if (jobId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(jobId))
      return invalid(`"${quote(jobId)}" is not a job id`);
    return { kind: 'status', jobId };
  }
  if (sub === 'audit') {
    if (rest.length > 1) return invalid(`"audit" takes at most one number, got "${quote(rest.join(' '))}"`);
    const n = rest[0];
    if (n === undefined) return { kind: 'audit', count: AUDIT_DEFAULT };
    if (!/^\d{1,3}$/.test(n) || Number(n) < 1 || Number(n) > AUDIT_MAX)
      return invalid(`"audit" takes a number of entries from 1 to ${AUDIT_MAX}, got "${quote(n)}"`);
    return { kind: 'audit', count: Number(n) };
  }
  return invalid(`unknown subcommand "${quote(typed!)}"${didYouMean(sub, SUBCOMMANDS)}`);
}

function parseDiagnose(args: string[]): RancherCommand {
  let cluster: string | null = null;
  let sinceSeconds: number | null = null;
  let watchSeconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [typed, inline] = arg.startsWith('--') ? splitOnce(arg, '=') : [arg, undefined];
    const flag = typed.toLowerCase();
    if (flag === '--since' || flag === '--watch') {
      const value = inline ?? args[++i];
      const allowed =
        flag === '--since'
          ? 'such as 90s, 30m, 2h or 1h30m, from 1s to 7d'
          : 'such as 30s, 90s or 5m, at most 15m; 0 for no watch';
      if (value === undefined) return invalid(`${flag} needs a duration ${allowed}`);
      // 0 turns the watch off, as on the command line; a window of no time back reads nothing.
      const seconds =
        flag === '--watch' && /^0[smhd]?$/i.test(value) ? 0 : parseDurationSeconds(value.toLowerCase());
      if (seconds === null || (seconds === 0 && flag === '--since'))
        return invalid(`${flag} "${quote(value)}" is not a duration ${allowed}`);
      if (flag === '--since') {
        if (seconds > MAX_SINCE_SECONDS) return invalid(`--since ${quote(value)} is more than 7d`);
        sinceSeconds = seconds;
      } else {
        if (seconds > MAX_WATCH_SECONDS) return invalid(`--watch ${quote(value)} is more than 15m`);
        watchSeconds = seconds;
      }
      continue;
    }
    if (arg.startsWith('-'))
      return invalid(
        `unknown option "${quote(typed)}"${didYouMean(flag, OPTIONS) || ' (options: --since, --watch)'}`,
      );
    if (cluster !== null)
      return invalid(`one cluster at a time: got "${quote(cluster)}" and "${quote(arg)}"`);
    const name = arg.normalize('NFC').trim().replace(/\s+/g, ' ');
    if (!CLUSTER_ARG.test(name)) return invalid(`"${quote(arg)}" is not a cluster id or name`);
    cluster = name;
  }
  return { kind: 'diagnose', cluster, sinceSeconds, watchSeconds };
}

/** Opening quote to closing quote: straight ones, and the curly ones Slack clients type for them. */
const QUOTES: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\u201c': '\u201d',
  '\u2018': '\u2019',
  '\u201e': '\u201c',
};

/**
 * Words as a shell would split them, enough for a cluster named "prod east": whitespace separates,
 * a quote opening a word runs to its closing quote. Returns the problem when a quote is not closed.
 */
function splitWords(text: string): string[] | string {
  const words: string[] = [];
  const chars = [...text];
  let i = 0;
  while (i < chars.length) {
    if (/\s/.test(chars[i]!)) {
      i++;
      continue;
    }
    let word = '';
    while (i < chars.length && !/\s/.test(chars[i]!)) {
      const close = QUOTES[chars[i]!];
      if (close === undefined) {
        word += chars[i++];
        continue;
      }
      const end = chars.indexOf(close, i + 1);
      // A curly closing quote is sometimes typed as the straight one, or the other way round.
      const alt = end === -1 ? chars.findIndex((c, j) => j > i && (c === '"' || c === '\u201d')) : -1;
      const stop = end !== -1 ? end : alt;
      if (stop === -1) return `a quote is not closed in "${quote(text)}"`;
      word += chars.slice(i + 1, stop).join('');
      i = stop + 1;
    }
    words.push(word);
  }
  return words;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** The user's input inside an answer: one line at most. */
function quote(text: string): string {
  return oneLine(text, 60);
}

/**
 * ' (did you mean "diagnose"?)' when `typed` is a near miss of one of `known`, else "". Plain
 * quotes: the whole problem is escaped as outside text, since it quotes what was typed.
 */
export function didYouMean(typed: string, known: readonly string[]): string {
  const ranked = known.map((k) => ({ k, d: editDistance(typed.toLowerCase(), k) })).sort((a, b) => a.d - b.d);
  const best = ranked[0];
  // Two edits catch most slips (diagnoze, stauts, --wacth); more would suggest words for noise.
  const near = best && best.d <= Math.min(2, Math.floor(best.k.length / 3)) && best.d > 0;
  return near ? ` (did you mean "${best.k}"?)` : '';
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Math.abs(a.length - b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
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
