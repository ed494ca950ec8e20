/**
 * Which form the logs take (see log.ts), apart from the logger itself: the CLI picks the form
 * before a command runs, and a command that never logs (scan-logs) then does not load pino.
 */

const LEVEL_VALUES: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

interface Output {
  human: boolean;
  /** Lines below this pino level value are dropped (human form only). */
  minLevel: number;
  /** When set, the JSON lines go here instead of stderr: tests read what was logged. */
  sink: ((line: string) => void) | null;
}

export const output: Output = { human: false, minLevel: 0, sink: null };
/**
 * Switches the process to the form a person reads on the command line: human lines, `warn` and
 * above, unless LOG_LEVEL is set (then that level, still in human form).
 */
export function useHumanLogs(env: Record<string, string | undefined> = process.env): void {
  output.human = true;
  const wanted = env.LOG_LEVEL?.toLowerCase();
  output.minLevel = wanted && wanted in LEVEL_VALUES ? LEVEL_VALUES[wanted]! : LEVEL_VALUES.warn!;
}

/** Back to JSON lines (the roles; tests). */
export function useJsonLogs(): void {
  output.human = false;
  output.minLevel = 0;
}
