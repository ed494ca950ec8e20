import type {
  CollectContext,
  CollectOptions,
  DiagnosisScope,
  ScopeCollector,
  ScopeEvidence,
  SuspectCollector,
  SuspectEvidence,
  SuspectSubject,
} from '../diagnosis/collectors/index.js';
import type { DiagnosisPorts } from '../diagnosis/ports.js';
import type { AccessProblem, ProgressReporter } from '../diagnosis/types.js';

/** What every collector of one diagnosis shares: the ports, the options, the problems so far. */
export interface CollectRun {
  ports: DiagnosisPorts;
  options: CollectOptions;
  signal?: AbortSignal;
  progress: ProgressReporter;
  problems: AccessProblem[];
  /** Values made once per diagnosis (CollectContext.once). */
  made: Map<string, Promise<unknown>>;
}

export function context<S>(
  run: CollectRun,
  subject: S,
  signal = run.signal,
  othersRead?: Promise<void>,
): CollectContext<S> {
  return {
    ...(othersRead ? { othersRead } : {}),
    ports: run.ports,
    options: run.options,
    subject,
    signal,
    progress: run.progress,
    problem: (target, error) => run.problems.push({ target, ...run.ports.explainFailure(error) }),
    note: (problem) => run.problems.push(problem),
    once<T>(key: string, make: () => Promise<T>): Promise<T> {
      let value = run.made.get(key) as Promise<T> | undefined;
      if (!value) {
        value = make();
        run.made.set(key, value);
      }
      return value;
    },
  };
}

/**
 * Runs the scope collectors: those marked `alongside` start first and run for their window while
 * the others run in turn. A failure of one in turn is the diagnosis's (after the ones alongside are
 * stopped); a failure of one alongside is a problem, listed after the others' problems.
 */
export async function collectScope(
  run: CollectRun,
  scope: DiagnosisScope,
  collectors: readonly ScopeCollector[],
): Promise<Required<ScopeEvidence>> {
  const stop = new AbortController();
  const alongsideSignal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
  let othersDone = () => {};
  const othersRead = new Promise<void>((resolve) => (othersDone = resolve));
  const alongside = collectors
    .filter((c) => c.alongside)
    .map((c) => ({ collector: c, result: c.collect(context(run, scope, alongsideSignal, othersRead)) }));
  for (const a of alongside) a.result.catch(() => undefined);

  const inTurn: ScopeEvidence[] = [];
  try {
    for (const c of collectors) if (!c.alongside) inTurn.push(await c.collect(context(run, scope)));
  } catch (error) {
    stop.abort();
    throw error;
  }
  othersDone();
  const fromAlongside: ScopeEvidence[] = [];
  for (const { collector, result } of alongside) {
    try {
      fromAlongside.push(await result);
    } catch (error) {
      context(run, scope).problem(collector.alongside!.failureTarget, error);
    }
  }
  const all = [...inTurn, ...fromAlongside];
  return {
    activity: all.flatMap((e) => e.activity ?? []),
    nodes: all.flatMap((e) => e.nodes ?? []),
    rancherVersion: all.map((e) => e.rancherVersion).find((v) => v != null) ?? null,
  };
}

/** Runs the suspect collectors in turn, each seeing what the ones before it gathered. */
export async function collectSuspect(
  run: CollectRun,
  suspect: SuspectSubject['suspect'],
  collectors: readonly SuspectCollector[],
): Promise<SuspectEvidence> {
  const gathered: SuspectEvidence = {};
  for (const c of collectors) Object.assign(gathered, await c.collect(context(run, { suspect, gathered })));
  return gathered;
}
