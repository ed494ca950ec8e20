import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { AccessError, UsageError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { describeOutcome, describePlan } from './fix-text.js';

interface FixPatchFlags {
  cluster: string;
  node: string;
  dryRun?: boolean;
  yes?: boolean;
  auditFile?: string;
  kubeconfig?: string;
  context?: string;
}

/** A person at a terminal can answer; a pipe or a CI job cannot, and must say --yes. */
function interactive(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerFix(program: Command): void {
  const fix = program.command('fix').description('Carry out a fix the diagnosis offers (no Slack, no Redis)');
  fix
    .command('patch')
    .description(
      "Fix A: write the node object's missing status.rkeNode and spec.customConfig, after the same checks, a server-side dry run, and with the object's resourceVersion as precondition",
    )
    .requiredOption('--cluster <id|name>', 'the downstream cluster (id such as c-dql6k, or display name)')
    .requiredOption('--node <id>', 'the node object (e.g. machine-h46dc)')
    .option('--dry-run', 'show the plan and run the server-side dry run only; write nothing')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)')
    .option(
      '--audit-file <file>',
      'append the audit entry here (default: $XDG_STATE_HOME/rancher-doctor/audit.jsonl, else ~/.local/state/...)',
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the Rancher local cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)',
    )
    .option('--context <name>', 'context in that kubeconfig')
    .action(async (flags: FixPatchFlags) => {
      if (!flags.cluster.trim() || !flags.node.trim())
        throw new UsageError('--cluster and --node need a value');
      const dryRun = flags.dryRun === true;
      if (!dryRun && !flags.yes && !interactive())
        throw new UsageError(
          'no terminal to confirm on: run with --yes to apply the patch, or --dry-run to check it',
        );
      const [{ preparePatch, runPatch, auditPatch, whoRan }, { defaultAuditFile }] = await Promise.all([
        import('../app/fix-patch.js'),
        import('../io/audit-file.js'),
      ]);
      const auditFile = flags.auditFile ?? defaultAuditFile(process.env);
      const prepared = await preparePatch(flags, process.env).catch((error: unknown) => {
        if (error instanceof AccessError)
          throw new AccessError(`${error.message}; ${error.hint}`, error.status, error.hint);
        throw error;
      });
      const who = whoRan(prepared.access);
      const audit = (outcome: Parameters<typeof auditPatch>[1]['outcome']) =>
        auditPatch(auditFile, {
          who,
          clusterId: prepared.clusterId,
          nodeId: prepared.nodeId,
          dryRun,
          outcome,
        });

      if (!prepared.eligibility.eligible) {
        process.stderr.write(`rancher-doctor: refused: ${prepared.eligibility.reason}\n`);
        await audit({ kind: 'refused', reason: prepared.eligibility.reason });
        process.exitCode = EXIT.refused;
        return;
      }
      process.stdout.write(describePlan(prepared.plan));
      if (!dryRun && !flags.yes) {
        const yes = await confirm(`Apply this patch to ${prepared.clusterId}/${prepared.nodeId}? [y/N] `);
        if (!yes) {
          process.stderr.write('Nothing written.\n');
          await audit({ kind: 'declined' });
          process.exitCode = EXIT.refused;
          return;
        }
      }
      const outcome = await runPatch(prepared, dryRun).catch(async (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        await audit({
          kind: 'failed',
          clusterId: prepared.clusterId,
          nodeId: prepared.nodeId,
          message,
          attempts: 0,
        });
        throw error;
      });
      process.stdout.write(describeOutcome(outcome));
      await audit(outcome);
      process.stderr.write(`Audit entry appended to ${auditFile}\n`);
      process.exitCode =
        outcome.kind === 'refused' ? EXIT.refused : outcome.kind === 'failed' ? EXIT.failed : EXIT.clean;
    });
}
