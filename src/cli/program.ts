import { Command, CommanderError } from 'commander';
import { useHumanLogs, useJsonLogs } from '../log-mode.js';
import { registerScanLogs } from './scan-logs.js';
import { registerDiagnose } from './diagnose.js';
import { registerFix } from './fix.js';
import { registerRoles } from './role-commands.js';
import { registerDemo } from './demo-command.js';
import { EXIT } from './exit-codes.js';
import { describeError, reportError } from './report-error.js';

export { EXIT, describeError };

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
    return reportError(err);
  }
}
