import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/**
 * `demo` is listed with the product's commands, but runs from a bundle of its own
 * (dist/demo/demo.js, built from demo/): it holds the stand-in apiserver and Slack Web API, which
 * the product's bundle must not. bin/rancher-doctor hands it there before this program starts.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Try the bot with no Slack workspace and no cluster, from a checkout: the real bot and worker, a stand-in Rancher, Redis, and a local page that plays a Slack channel (rancher-doctor demo --help)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UsageError(
        'demo runs through bin/rancher-doctor from a checkout of rancher-doctor, after npm run build (it starts dist/demo/demo.js)',
      );
    });
}
