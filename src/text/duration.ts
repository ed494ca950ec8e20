const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Durations as people type them: 90s, 30m, 2h, 7d, 1h30m. A bare number is ambiguous (seconds?
 * minutes?) where a person types it, so it counts as seconds only when the caller says so (config
 * from the environment). Returns null for anything else.
 */
export function parseDurationSeconds(value: string, options: { bareSeconds?: boolean } = {}): number | null {
  const text = value.trim();
  if (options.bareSeconds && /^\d+$/.test(text)) return Number(text);
  if (!/^(\d+[smhd])+$/.test(text)) return null;
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) seconds += Number(n) * UNIT_SECONDS[unit!]!;
  return seconds;
}

/** The shortest exact spelling: 3600 -> 1h, 90 -> 90s. */
export function formatSeconds(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A span as a person says it, rounded: "45 s", "12 min", "3 h 20 min", "2 days". */
export function humanSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
