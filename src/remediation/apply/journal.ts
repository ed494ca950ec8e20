/**
 * Where a remediation records each step it has done, so that a worker killed mid-way resumes
 * where it stopped instead of doing a step (above all a write) twice. The queue keeps it in the
 * job's data; the CLI and the tests in memory. Values must be plain JSON and hold no secret.
 */
export interface StepJournal {
  /** The value recorded for `step`, or null when the step has not been done. */
  get(step: string): Promise<unknown>;
  record(step: string, value: unknown): Promise<void>;
}

export function memoryJournal(initial: Record<string, unknown> = {}): StepJournal & {
  readonly steps: Record<string, unknown>;
} {
  const steps: Record<string, unknown> = structuredClone(initial);
  return {
    steps,
    get: (step) => Promise.resolve(step in steps ? structuredClone(steps[step]) : null),
    record: (step, value) => {
      steps[step] = structuredClone(value);
      return Promise.resolve();
    },
  };
}
