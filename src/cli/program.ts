import { Command, CommanderError } from 'commander';
import { DoctorError, UsageError } from '../errors.js';
import { useHumanLogs, useJsonLogs } from '../log-mode.js';
import { registerScanLogs } from './scan-logs.js';
import { registerDiagnose } from './diagnose.js';
import { registerFix } from './fix.js';
import { registerRoles } from './role-commands.js';
import { registerDemo } from './demo-command.js';
import { EXIT } from './exit-codes.js';

export { EXIT };

/** Long-running roles whose logs are read by log collectors: JSON lines. The rest log for a person. */
const ROLE_COMMANDS = new Set(['bot', 'worker', 'serve']);

export function buildProgram(): Command {
  const program = new Command('rancher-doctor')
    .description('Find and fix Rancher node objects that are rewritten in a loop')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, command) => {
      if (ROLE_COMMANDS.has(command.name())) useJsonLogs();
      else useHumanLogs();
    });
  registerScanLogs(program);
  registerDiagnose(program);
  registerFix(program);
  registerRoles(program);
  registerDemo(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.clean;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return err.exitCode === 0 ? EXIT.clean : EXIT.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`rancher-doctor: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof DoctorError) {
      process.stderr.write(`rancher-doctor: ${err.message}\n`);
      return EXIT.usage;
    }
    // Anything else is still a failure a person should read, not a stack trace (LOG_LEVEL=debug shows it).
    process.stderr.write(`rancher-doctor: ${describeError(err)}\n`);
    if (debugWanted() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT.usage;
  }
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
