import { pino, type DestinationStream, type Logger } from 'pino';
import { output } from './log-mode.js';

export { useHumanLogs, useJsonLogs } from './log-mode.js';

/**
 * Structured logs go to stderr so that stdout stays the CLI's report (table or JSON).
 * LOG_LEVEL picks the level; 'silent' for tests.
 *
 * Two forms: JSON lines (the default, for the bot and worker roles, which log collectors read),
 * and, for the one-shot commands a person runs (`diagnose`, `scan-logs`), short human lines at
 * `warn` and above unless LOG_LEVEL says otherwise: their stderr is progress lines for a person.
 */

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const json = pino.destination(2);

/** Writes JSON as pino made it, or the same record as one human line. */
const destination: DestinationStream = {
  write(line: string) {
    if (output.sink) {
      output.sink(line);
      return;
    }
    if (!output.human) {
      json.write(line);
      return;
    }
    const human = humanLogLine(line, output.minLevel);
    if (human !== null) process.stderr.write(human);
  },
};

export const logger: Logger = pino(
  { level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info') },
  destination,
);

export function childLogger(component: string): Logger {
  return logger.child({ component });
}

/**
 * The logger of a running role. The role is its own key: parts of a role log under `component`,
 * and a key given twice in one JSON line is rejected by some log pipelines.
 */
export function roleLogger(role: string): Logger {
  return logger.child({ role });
}

/** Keys of a pino record that the human line shows otherwise, or not at all. */
const RECORD_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'err']);

function plain(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Object) return JSON.stringify(value);
  return String(value);
}

/**
 * One pino JSON record as a short line: `rancher-doctor: warn: retrying (rancher): op="list ..."
 * failure="HTTP 503" delayMs=250 attempt=1`. null when below `minLevel` or not a record.
 */
export function humanLogLine(line: string, minLevel = 0): string | null {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim() ? `rancher-doctor: ${line.trimEnd()}\n` : null;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  if (level < minLevel) return null;
  const { msg, component, err } = record;
  const text = typeof msg === 'string' ? msg : '';
  const fields = Object.entries(record)
    // A field the message already states (the message was written for people) is not repeated.
    .filter(([k, v]) => v !== undefined && !RECORD_KEYS.has(k) && !text.includes(String(v)))
    .map(([k, v]) => `${k}=${plain(v)}`);
  const error =
    err && typeof err === 'object' && 'message' in err
      ? ` (${String((err as { message: unknown }).message)})`
      : '';
  const where = typeof component === 'string' ? ` [${component}]` : '';
  return `rancher-doctor: ${LEVEL_NAMES[level] ?? level}${where}: ${text}${error}${fields.length ? ` (${fields.join(' ')})` : ''}\n`;
}
