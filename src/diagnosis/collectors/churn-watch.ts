import { createChurnCounter, nodeObjectKey, type ConclusiveObject } from '../churn.js';
import { createFieldChangeCounter } from '../field-changes.js';
import { EARLY_END_RULE, type EarlyEndRule } from '../loop-rule.js';
import type { LocalClusterReader } from '../ports.js';
import { watchWords } from '../progress-words.js';
import type { ProgressReporter, WatchEnd, WatchProgress, WriteActivityEvidence } from '../types.js';
import type { ScopeCollector } from './collector.js';

/**
 * The churn of node objects, watched while the rest is read. It is what shows the loop where the
 * apiserver logs say nothing (default verbosity, k3s, RKE1's apiserver in Docker). It ends as soon
 * as a loop is plain and the rest is read; a quiet cluster gets the whole window.
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
      {
        rule: context.options.earlyEnd === undefined ? EARLY_END_RULE : context.options.earlyEnd,
        othersRead: context.othersRead ?? Promise.resolve(),
      },
    );
    return { activity: [evidence] };
  },
};

/** How often the watch says how far it is: every few seconds, about a dozen times a window at most. */
export function churnProgressEveryMs(seconds: number): number {
  return Math.min(5, Math.max(1, Math.floor(seconds / 3))) * 1000;
}

/** When the watch may end before its window: the rule (null: never), once the rest is read. */
export interface EarlyEnd {
  rule: EarlyEndRule | null;
  othersRead: Promise<void>;
}

/**
 * Watches node objects for a window and counts their updates (and what each changed), reporting
 * every few seconds how long is left and how many updates were seen, and at the end why it ended.
 */
export async function watchChurn(
  local: Pick<LocalClusterReader, 'watchNodeObjects'>,
  namespace: string | null,
  seconds: number,
  progress: ProgressReporter,
  signal?: AbortSignal,
  progressEveryMs = churnProgressEveryMs(seconds),
  early: EarlyEnd = { rule: null, othersRead: Promise.resolve() },
): Promise<WriteActivityEvidence> {
  const counter = createChurnCounter(early.rule ?? undefined);
  const fields = createFieldChangeCounter();
  const start = new Date();
  const endsAt = start.getTime() + seconds * 1000;
  const finish = new AbortController();
  const watchSignal = signal ? AbortSignal.any([signal, finish.signal]) : finish.signal;
  let settled: ConclusiveObject | null = null;
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
        const name = event.object.metadata.name;
        const at = new Date();
        updates++;
        objects.add(`${ns}/${name}`);
        counter.modified(ns, name, at);
        fields.version(nodeObjectKey(ns, name), event.object);
        if (settled || !early.rule) return;
        settled = counter.conclusive(ns, name, start, at);
        // The loop is plain; the report waits on the other reads anyway, so the watch goes on until they are done.
        if (settled) void early.othersRead.then(() => finish.abort());
      },
      watchSignal,
    );
  } finally {
    clearInterval(ticker);
  }
  const end = new Date();
  const summary = counter.summary(start, end, (key) => fields.summary(key, 'churn'));
  const watched = watchedSeconds(start, end, seconds);
  const ended: WatchEnd =
    finish.signal.aborted && settled
      ? { reason: 'conclusive', object: settled }
      : signal?.aborted || watched < seconds
        ? { reason: 'stopped' }
        : { reason: 'window' };
  report({
    seconds: watched,
    secondsLeft: 0,
    updates: summary.requestsCounted,
    objects: summary.distinctObjects,
    ended,
  });
  return {
    source: 'churn',
    description: `watch on nodes.management.cattle.io${namespace ? ` in ${namespace}` : ''} for ${windowWords(watched, seconds, ended)}`,
    summary,
    watchEnd: ended,
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
export function windowWords(watched: number, asked: number, ended?: WatchEnd): string {
  if (watched >= asked) return `${asked}s`;
  return ended?.reason === 'conclusive'
    ? `${watched}s (ended early, the loop plain: ${asked}s asked)`
    : `${watched}s (cut short: ${asked}s asked)`;
}
