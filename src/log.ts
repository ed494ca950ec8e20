import { pino, type Logger } from 'pino';

/**
 * Structured logs go to stderr so that stdout stays the CLI's report (table or JSON).
 * LOG_LEVEL picks the level; 'silent' for tests.
 */
export const logger: Logger = pino(
  { level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info') },
  pino.destination(2),
);

export function childLogger(component: string): Logger {
  return logger.child({ component });
}
