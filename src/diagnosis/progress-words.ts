import { formatSeconds } from '../text/duration.js';
import { plural } from '../text/plural.js';
import type { DiagnosisStage, WatchProgress } from './types.js';

/** What each stage is called wherever a person reads it: the CLI's stderr, the job's message, status. */
export const STAGE_LABELS: Record<DiagnosisStage, string> = {
  queued: 'Queued',
  'reading-apiserver-logs': 'Reading apiserver logs',
  'watching-churn': 'Watching writes',
  'reading-node-objects': 'Reading node objects',
  'asking-node-agents': 'Asking the node agents',
  done: 'Done',
};

/** "55 s left, 100 updates of 1 object" while the window runs; "100 updates of 1 object in 1m" after. */
export function watchWords(w: WatchProgress): string {
  const seen = `${plural(w.updates, 'update')} of ${plural(w.objects, 'object')}`;
  return w.secondsLeft > 0 ? `${w.secondsLeft} s left, ${seen}` : `${seen} in ${formatSeconds(w.seconds)}`;
}
