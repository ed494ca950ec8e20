import { formatSeconds } from '../text/duration.js';
import { plural } from '../text/plural.js';
import type { WatchEnd, WatchProgress } from './types.js';

/**
 * "55 s left, 100 updates of 1 object" while the window runs; "100 updates of 1 object in 1m" after,
 * with why it ended when that is not plain: "ended early: c-dql6k/machine-h46dc written 240 times
 * in 12 s (1,200/min), a loop beyond doubt".
 */
export function watchWords(w: WatchProgress): string {
  const seen = `${plural(w.updates, 'update')} of ${plural(w.objects, 'object')}`;
  if (w.secondsLeft > 0) return `${w.secondsLeft} s left, ${seen}`;
  const why = w.ended ? endWords(w.ended) : null;
  return `${seen} in ${formatSeconds(w.seconds)}${why ? `: ${why}` : ''}`;
}

/** Why the watch ended, in words; null for a whole window with nothing to say about it. */
export function endWords(end: WatchEnd): string | null {
  if (end.reason === 'conclusive' && end.object) {
    const o = end.object;
    const name = o.key
      .replace(/^\/apis\/management\.cattle\.io\/v3\/namespaces\//, '')
      .replace('/nodes/', '/');
    const rate = Math.round(o.writesPerMinute).toLocaleString('en-US');
    return `ended early, the loop plain: ${name} written ${plural(o.writes, 'time')} in ${o.seconds} s (${rate}/min)`;
  }
  if (end.reason === 'stopped') return 'stopped before the end of its window';
  return 'the whole window, no loop plain before its end';
}
