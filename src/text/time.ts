/** "2026-11-25 05:30 UTC": a time to the minute, the same for every reader. The text as given if it is not a time. */
export function utcMinute(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
