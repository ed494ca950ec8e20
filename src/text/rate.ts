/** Writes a minute as the reports print them: whole and grouped from 100 on, one decimal below. */
export function formatRate(perMinute: number): string {
  return perMinute >= 100 ? Math.round(perMinute).toLocaleString('en-US') : perMinute.toFixed(1);
}
