import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationSeconds } from '../text/duration.js';
import { describeDrainOutcome, describeDrainPlan } from './drain-text.js';
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

interface FixDrainFlags {
  cluster: string;
  node: string;
  yes?: boolean;
  watch?: number;
  timeout?: number;
  auditFile?: string;
  kubeconfig?: string;
  context?: string;
}

function durationSeconds(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null || seconds <= 0) throw new InvalidArgumentError('a duration such as 10m or 90s');
  return seconds;
}

function watchSeconds(value: string): number {
  if (value === '0') return 0;
  return durationSeconds(value);
}

export function registerFix(program: Command): void {
  const fix = program.command('fix').description('Carry out a fix the diagnosis offers (no Slack, no Redis)');
  const patch = withTarget(
    fix
      .command('patch')
      .description(
        "Fix A: write the node object's missing status.rkeNode and spec.customConfig, after the same checks, a server-side dry run, and with the object's resourceVersion as precondition",
      ),
  )
    .option('--dry-run', 'show the plan and run the server-side dry run only; write nothing')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)');
  withAccess(patch).action(async (flags: FixPatchFlags) => {
    requireTarget(flags);
    const dryRun = flags.dryRun === true;
    if (!dryRun && !flags.yes && !interactive())
      throw new UsageError(
        'no terminal to confirm on: run with --yes to apply the patch, or --dry-run to check it',
      );
    // One after the other: both load node:fs, and Jest's module linker (the in-process CLI tests)
    // fails two concurrent imports of one built-in.
    const { preparePatch, runPatch, auditPatch, whoRan } = await import('../app/fix-patch.js');
    const { defaultAuditFile } = await import('../io/audit-file.js');
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

  const drain = withTarget(
    fix
      .command('drain')
      .description(
        "Fix B: drain the looping node's Kubernetes node (as kubectl drain does) and delete it, after the diagnosis' checks; the node UID as the delete's precondition",
      ),
  )
    .option('--yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--timeout <duration>', 'how long evictions may take (DRAIN_TIMEOUT)', durationSeconds, 600)
    .option(
      '--watch <duration>',
      "how long the diagnosis may watch the node object's writes (it ends once the loop is plain); 0: the apiserver logs alone",
      watchSeconds,
      30,
    );
  withAccess(drain).action(async (flags: FixDrainFlags) => {
    requireTarget(flags);
    if (!flags.yes && !interactive())
      throw new UsageError('no terminal to confirm on: run with --yes to drain and remove the node');
    const { prepareDrain, runDrain, auditDrain } = await import('../app/fix-drain.js');
    const { whoRan } = await import('../app/fix-patch.js');
    const { defaultAuditFile } = await import('../io/audit-file.js');
    const auditFile = flags.auditFile ?? defaultAuditFile(process.env);
    process.stderr.write(`Diagnosing ${flags.cluster} for the drain plan of ${flags.node}…\n`);
    const prepared = await prepareDrain({ ...flags, watchSeconds: flags.watch }, process.env).catch(
      (error: unknown) => {
        if (error instanceof AccessError)
          throw new AccessError(`${error.message}; ${error.hint}`, error.status, error.hint);
        throw error;
      },
    );
    const who = whoRan(prepared.access);
    const audit = (outcome: Parameters<typeof auditDrain>[1]['outcome']) =>
      auditDrain(auditFile, { who, clusterId: prepared.clusterId, nodeId: prepared.nodeId, outcome });
    const plan = prepared.plan;
    if (prepared.refused !== null || !plan) {
      const reason = prepared.refused ?? 'no drain plan';
      process.stderr.write(`rancher-doctor: refused: ${reason}\n`);
      await audit({ kind: 'refused', reason });
      process.exitCode = EXIT.refused;
      return;
    }
    process.stdout.write(describeDrainPlan(plan));
    if (!flags.yes) {
      const yes = await confirm(`Drain and delete ${plan.downstreamNode} of ${prepared.clusterId}? [y/N] `);
      if (!yes) {
        process.stderr.write('Nothing written.\n');
        await audit({ kind: 'declined' });
        process.exitCode = EXIT.refused;
        return;
      }
    }
    const outcome = await runDrain({ ...prepared, plan }, { timeoutSeconds: flags.timeout ?? 600 }, (step) =>
      process.stderr.write(`${step}\n`),
    );
    process.stdout.write(describeDrainOutcome(outcome, plan));
    await audit(outcome);
    process.stderr.write(`Audit entry appended to ${auditFile}\n`);
    process.exitCode =
      outcome.kind === 'removed' ? EXIT.clean : outcome.kind === 'refused' ? EXIT.refused : EXIT.failed;
  });
}

/** Which node object a fix is for: both commands name it the same way. */
function withTarget(command: Command): Command {
  return command
    .requiredOption('--cluster <id|name>', 'the downstream cluster (id such as c-dql6k, or display name)')
    .requiredOption('--node <id>', 'the node object (e.g. machine-h46dc)');
}

/** Where a fix reads the local cluster from and writes its audit entry. */
function withAccess(command: Command): Command {
  return command
    .option(
      '--audit-file <file>',
      'append the audit entry here (default: $XDG_STATE_HOME/rancher-doctor/audit.jsonl, else ~/.local/state/...)',
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the Rancher local cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)',
    )
    .option('--context <name>', 'context in that kubeconfig');
}

function requireTarget(flags: { cluster: string; node: string }): void {
  if (!flags.cluster.trim() || !flags.node.trim()) throw new UsageError('--cluster and --node need a value');
}
