import { formatSeconds } from '../text/duration.js';
import { plural } from '../text/plural.js';
import type { WatchProgress } from './types.js';

/** "55 s left, 100 updates of 1 object" while the window runs; "100 updates of 1 object in 1m" after. */
export function watchWords(w: WatchProgress): string {
  const seen = `${plural(w.updates, 'update')} of ${plural(w.objects, 'object')}`;
  return w.secondsLeft > 0 ? `${w.secondsLeft} s left, ${seen}` : `${seen} in ${formatSeconds(w.seconds)}`;
}
