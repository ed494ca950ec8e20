import type { Command } from 'commander';
import type { BotRole } from '../config/bot.js';

/** Bolt, BullMQ and the Kubernetes client are loaded when a role starts, not for every subcommand. */
async function runRole(role: BotRole): Promise<void> {
  const { runRoles } = await import('../app/roles.js');
  await runRoles(role);
}

export function registerRoles(program: Command): void {
  program
    .command('bot')
    .description('Run the Slack bot: answers /rancher and the report buttons, enqueues diagnoses')
    .action(() => runRole('bot'));
  program
    .command('worker')
    .description(
      'Run a diagnosis worker: takes jobs from the queue and keeps their Slack messages up to date',
    )
    .action(() => runRole('worker'));
  program
    .command('serve')
    .description('Run the bot and a worker in one process (the default for a small install)')
    .action(() => runRole('serve'));
}
