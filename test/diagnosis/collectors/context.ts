import type { CollectContext, CollectOptions } from '../../../src/diagnosis/collectors/index.js';
import type { DiagnosisPorts } from '../../../src/diagnosis/ports.js';
import type { ProgressReporter } from '../../../src/diagnosis/types.js';
import { context, type CollectRun } from '../../../src/engine/collect.js';

/** What the engine hands collectors, over the given ports; the problems land in `run.problems`. */
export function collectRun(
  ports: DiagnosisPorts,
  options: Partial<CollectOptions> = {},
  progress: ProgressReporter = () => undefined,
): CollectRun {
  return { ports, options: { watchSeconds: 0, ...options }, progress, problems: [], made: new Map() };
}

export function contextOf<S>(run: CollectRun, subject: S): CollectContext<S> {
  return context(run, subject);
}
