import type { Command } from 'commander';
import { DEFAULT_WATCH_SECONDS } from '../diagnosis/defaults.js';
import { AccessError, UsageError } from '../errors.js';
import { parseDurationSeconds } from '../text/duration.js';
import { EXIT } from './exit-codes.js';

/** Durations on the command line: 30s, 30m, 1h, 1h30m, 1d. `allowZero` for switches such as --watch 0. */
export function parseDuration(option: string, value: string, allowZero = false): number {
  if (allowZero && /^0[smhd]?$/.test(value.trim())) return 0;
  const seconds = parseDurationSeconds(value);
  if (seconds === null) {
    throw new UsageError(`${option}: "${value}" is not a duration; use forms like 60s, 30m, 1h or 1h30m`);
  }
  if (seconds === 0) throw new UsageError(`${option}: the duration must be more than 0`);
  return seconds;
}

interface DiagnoseFlags {
  cluster?: string;
  since?: string;
  logFile?: string[];
  watch?: string;
  json?: boolean;
  kubeconfig?: string;
  context?: string;
  chart?: string;
}

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description(
      'Find node objects Rancher rewrites in a loop, say why, and print the patch and drain fixes (no Slack, no Redis)',
    )
    .option('--cluster <id|name>', 'only this downstream cluster (id such as c-dql6k, or display name)')
    .option('--since <duration>', 'how far back to read logs, e.g. 30m, 1h', '30m')
    .option(
      '--log-file <file...>',
      'scan these kube-apiserver or audit log files instead of the apiserver pods',
    )
    .option(
      '--watch <duration>',
      'how long to watch nodes.management.cattle.io for churn; 0 turns it off',
      `${DEFAULT_WATCH_SECONDS}s`,
    )
    .option('--json', 'print the DiagnosisReport as JSON')
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the Rancher local cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)',
    )
    .option('--context <name>', 'context in that kubeconfig')
    .option('--chart <file.png>', 'also draw the writes per minute of the looping objects to this PNG')
    .action(async (flags: DiagnoseFlags) => {
      const sinceSeconds = parseDuration('--since', flags.since ?? '30m');
      const watchSeconds = parseDuration('--watch', flags.watch ?? `${DEFAULT_WATCH_SECONDS}s`, true);
      if (flags.cluster !== undefined && flags.cluster.trim() === '')
        throw new UsageError('--cluster: empty value');
      // Loaded here, not at the top: the Kubernetes client, zod and yaml cost a second and 100 MB
      // to load, which every other subcommand (scan-logs above all) should not pay.
      const [{ renderProgress, renderReport }, { diagnoseOnce }] = await Promise.all([
        import('../report/render-text.js'),
        import('../app/diagnose.js'),
      ]);
      const report = await diagnoseOnce(
        {
          cluster: flags.cluster,
          sinceSeconds,
          watchSeconds,
          logFiles: flags.logFile,
          kubeconfig: flags.kubeconfig,
          context: flags.context,
        },
        process.env,
        (event) => process.stderr.write(renderProgress(event)),
      ).catch((error: unknown) => {
        // The program prints only the message: put the hint (what to grant) into it.
        if (error instanceof AccessError) {
          throw new AccessError(`${error.message}; ${error.hint}`, error.status, error.hint);
        }
        throw error;
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      if (flags.chart !== undefined) {
        const [{ loopChartFromReport }, { writeChart }] = await Promise.all([
          import('../report/loop-chart.js'),
          import('./chart-file.js'),
        ]);
        await writeChart(flags.chart, loopChartFromReport(report));
      }
      process.exitCode = report.findings.length > 0 ? EXIT.found : EXIT.clean;
    });
}
