/**
 * `npm run standin -- [--scenario FILE] [--port N] [--kubeconfig-out FILE] [--loop-interval MS]`:
 * the stand-in apiserver on its own, for trying kubectl and `rancher-doctor diagnose` on a laptop.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { seedScenarioPath } from './scenario.js';
import { startStandin } from './server.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

const program = new Command('standin')
  .description('Run the stand-in kube-apiserver and Rancher proxy on 127.0.0.1')
  .option('--scenario <file>', 'scenario YAML (or a name under test/standin/scenarios)', seedScenarioPath)
  .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', integer, 0)
  .option(
    '--kubeconfig-out <file>',
    'where to write the kubeconfig of the local cluster',
    'standin.kubeconfig',
  )
  .option('--no-anonymous', 'refuse requests without a token (kubectl sends none over plain http)')
  .option('--loop-interval <ms>', "loop period in ms (default: the scenario's); 0 stops the loop", integer)
  .action(
    async (opts: {
      scenario: string;
      port: number;
      kubeconfigOut: string;
      loopInterval?: number;
      anonymous: boolean;
    }) => {
      const standin = await startStandin({
        scenario: opts.scenario,
        port: opts.port,
        anonymousUser: opts.anonymous ? 'system:anonymous' : null,
        ...(opts.loopInterval !== undefined
          ? { loopIntervalMs: opts.loopInterval === 0 ? null : opts.loopInterval }
          : {}),
      });
      const kubeconfig = path.resolve(opts.kubeconfigOut);
      await standin.writeKubeconfig(kubeconfig);
      const lines = [
        `stand-in apiserver listening on ${standin.url} (scenario ${opts.scenario})`,
        `kubeconfig written to ${kubeconfig}`,
        `downstream clusters behind ${standin.url}/k8s/clusters/<id>: ${standin.downstreamIds.join(', ') || 'none'}`,
        '',
        'Set these to use it:',
        `  export KUBECONFIG=${kubeconfig}`,
        `  export RANCHER_URL=${standin.url}`,
        `  export RANCHER_TOKEN=${standin.rancherToken}`,
        '',
        'Then try:',
        '  kubectl get nodes.management.cattle.io -A',
        '  rancher-doctor diagnose',
        '',
        'Ctrl-C stops it.',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      const stop = () => {
        void standin.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`standin: ${(err as Error).message}\n`);
  process.exit(2);
});
