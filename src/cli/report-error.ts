import { DoctorError } from '../errors.js';
import { EXIT } from './exit-codes.js';

/**
 * What a command's failure prints and the exit code it ends with: a DoctorError (a usage or input
 * problem, a refusal) is its message; anything else is still a failure a person should read, not a
 * stack trace (LOG_LEVEL=debug shows it).
 */
export function reportError(err: unknown): number {
  if (err instanceof DoctorError) {
    process.stderr.write(`rancher-doctor: ${err.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`rancher-doctor: ${describeError(err)}\n`);
  if (debugWanted() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.usage;
}

/** The message and its causes in one line: "could not list ...: connect ECONNREFUSED 127.0.0.1:6443". */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unexpected error';
}

function debugWanted(): boolean {
  const level = process.env.LOG_LEVEL?.toLowerCase();
  return level === 'debug' || level === 'trace';
}
