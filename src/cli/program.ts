import { Command, CommanderError } from 'commander';
import { DoctorError, UsageError } from '../errors.js';
import { registerScanLogs } from './scan-logs.js';
import { registerDiagnose } from './diagnose.js';
import { registerRoles } from './roles.js';

/** Exit codes shared by every subcommand. */
export const EXIT = { clean: 0, found: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('rancher-doctor')
    .description('Find and fix Rancher node objects that are rewritten in a loop')
    .showHelpAfterError()
    .exitOverride();
  registerScanLogs(program);
  registerDiagnose(program);
  registerRoles(program);
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
    process.stderr.write(
      `rancher-doctor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.usage;
  }
}
