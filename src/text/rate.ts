/** Writes a minute as the reports print them: whole and grouped from 100 on, one decimal below. */
export function formatRate(perMinute: number): string {
  return perMinute >= 100 ? Math.round(perMinute).toLocaleString('en-US') : perMinute.toFixed(1);
}

/**
 * A rate that may be a lower bound (too few writes to measure): "at least 20", rounded down so that
 * it stays one; a measured rate as formatRate prints it.
 */
export function formatRateBound(perMinute: number, lowerBound: boolean | undefined): string {
  return lowerBound ? `at least ${Math.floor(perMinute).toLocaleString('en-US')}` : formatRate(perMinute);
}
