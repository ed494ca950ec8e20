import { createChurnCounter } from '../churn.js';
import type { LocalClusterReader } from '../ports.js';
import { watchWords } from '../progress-words.js';
import type { ProgressReporter, WatchProgress, WriteActivityEvidence } from '../types.js';
import type { ScopeCollector } from './collector.js';

/**
 * The churn of node objects, watched while the rest is read. It is what shows the loop where the
 * apiserver logs say nothing (default verbosity, k3s, RKE1's apiserver in Docker).
 */
export const churnWatch: ScopeCollector = {
  name: 'churn watch',
  alongside: { failureTarget: 'watch on nodes.management.cattle.io' },
  async collect(context) {
    const seconds = context.options.watchSeconds;
    if (seconds <= 0) return {};
    const evidence = await watchChurn(
      context.ports.local,
      context.subject.clusterId,
      seconds,
      context.progress,
      context.signal,
      context.options.churnProgressEveryMs,
    );
    return { activity: [evidence] };
  },
};

/** How often the watch says how far it is: every few seconds, about a dozen times a window at most. */
export function churnProgressEveryMs(seconds: number): number {
  return Math.min(5, Math.max(1, Math.floor(seconds / 3))) * 1000;
}

/**
 * Watches node objects for a window and counts their updates, reporting every few seconds how long
 * is left and how many updates were seen (the window may outlast everything else the diagnosis reads).
 */
export async function watchChurn(
  local: Pick<LocalClusterReader, 'watchNodeObjects'>,
  namespace: string | null,
  seconds: number,
  progress: ProgressReporter,
  signal?: AbortSignal,
  progressEveryMs = churnProgressEveryMs(seconds),
): Promise<WriteActivityEvidence> {
  const counter = createChurnCounter();
  const start = new Date();
  const endsAt = start.getTime() + seconds * 1000;
  let updates = 0;
  const objects = new Set<string>();
  const report = (watch: WatchProgress) =>
    progress({ stage: 'watching-churn', detail: watchWords(watch), watch });
  report({ seconds, secondsLeft: seconds, updates: 0, objects: 0 });
  const ticker = setInterval(() => {
    const secondsLeft = Math.ceil((endsAt - Date.now()) / 1000);
    if (secondsLeft > 0) report({ seconds, secondsLeft, updates, objects: objects.size });
  }, progressEveryMs);
  try {
    await local.watchNodeObjects(
      { namespace, seconds },
      (event) => {
        // ADDED events replay the existing objects when a watch starts: only changes count.
        if (event.type !== 'MODIFIED' || !event.object) return;
        const ns = event.object.metadata.namespace ?? '';
        updates++;
        objects.add(`${ns}/${event.object.metadata.name}`);
        counter.modified(ns, event.object.metadata.name, new Date());
      },
      signal,
    );
  } finally {
    clearInterval(ticker);
  }
  const end = new Date();
  const summary = counter.summary(start, end);
  const watched = watchedSeconds(start, end, seconds);
  report({
    seconds: watched,
    secondsLeft: 0,
    updates: summary.requestsCounted,
    objects: summary.distinctObjects,
  });
  return {
    source: 'churn',
    description: `watch on nodes.management.cattle.io${namespace ? ` in ${namespace}` : ''} for ${windowWords(watched, seconds)}`,
    summary,
  };
}

/**
 * Whole seconds the watch really ran. Never more than asked: the watch stops counting at the end
 * of its window, and what comes after (returning, a busy event loop) is not watching.
 */
export function watchedSeconds(start: Date, end: Date, asked: number): number {
  return Math.min(asked, Math.round((end.getTime() - start.getTime()) / 1000));
}

/** The window as a report states it: what was watched, and what was asked when that was less. */
export function windowWords(watched: number, asked: number): string {
  return watched < asked ? `${watched}s (cut short: ${asked}s asked)` : `${asked}s`;
}
