/**
 * `rancher-doctor demo [--scenario FILE|NAME] [--port N] [--run TEXT]`: the bot at work on this
 * machine, with no Slack workspace and no cluster. bin/rancher-doctor hands `demo` to this file's
 * bundle (dist/bundle/demo.js), which holds the stand-ins the product's bundle must not.
 */
import type { Server } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import { parseDurationSeconds } from '../src/text/duration.js';
import { USERS } from './bot-link.js';
import { startDemo, type RunningDemo } from './demo.js';
import { listenPage, PortTakenError, startPageServer, type PageServer } from './page-server.js';
import { demoPaths, scenarioFile } from './paths.js';
import { runOnce } from './run-once.js';

interface Options {
  scenario: string;
  port: number;
  run?: string;
  timeout: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0: any free port)');
  return n;
}

function seconds(value: string): number {
  const s = parseDurationSeconds(value, { bareSeconds: true });
  if (s === null || s <= 0) throw new InvalidArgumentError('must be a duration such as 90s or 5m');
  return s;
}

const say = (line: string) => process.stderr.write(`demo: ${line}\n`);

export function demoCommand(): Command {
  return new Command('rancher-doctor demo')
    .description(
      'Try the bot with no Slack workspace and no cluster: the real bot and worker, the stand-in apiserver with its loop, Redis, and a page on 127.0.0.1 that plays a Slack channel',
    )
    .option(
      '--scenario <file|name>',
      'the stand-in cluster: a scenario YAML, or a name under test/standin/scenarios',
      'seed',
    )
    .option('--port <n>', 'port of the page on 127.0.0.1 (0: any free port)', port, 8080)
    .option(
      '--run <text>',
      'no page: send TEXT (e.g. "/rancher diagnose --watch 5s"), print the channel as text once its job has ended, and exit',
    )
    .option('--timeout <duration>', 'with --run: how long the job may take', seconds, 300)
    .action(async (opts: Options) => {
      process.exitCode = await demo(opts);
    });
}

async function demo(opts: Options): Promise<number> {
  const paths = demoPaths();
  const scenario = scenarioFile(paths, opts.scenario);
  let stopping: Promise<void> | null = null;
  let running: RunningDemo | null = null;
  let page: PageServer | null = null;
  let listening: Server | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (page) await page.close();
      else if (listening) await new Promise((resolve) => listening!.close(resolve));
      await running?.stop();
    })());
  const signalled = new Promise<number>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.once(signal, () => {
        say(`${signal}: stopping everything the demo started`);
        void stop().then(() => resolve(signal === 'SIGINT' ? 130 : 143));
      });
  });
  try {
    if (opts.run === undefined) listening = await listenPage(opts.port);
    running = await startDemo({ paths, scenarioFile: scenario, env: process.env, say });
    const serveEnded = new Promise<number>((resolve) =>
      running!.serve.child.once('exit', (code, signal) => {
        if (stopping) return;
        say(`rancher-doctor serve stopped by itself (${signal ?? `exit code ${code}`}): stopping the demo`);
        void stop().then(() => resolve(1));
      }),
    );
    if (opts.run !== undefined) {
      const result = await Promise.race([
        runOnce(running, opts.run, opts.timeout * 1000),
        signalled.then(() => null),
      ]);
      if (result === null) return 130;
      process.stdout.write(result.output);
      if (result.problem) say(result.problem);
      await stop();
      return result.code;
    }
    page = await startPageServer(running, paths.page, listening!);
    const approver = USERS.find((u) => u.approver)!;
    process.stdout.write(
      [
        `The channel is at ${page.url}`,
        `Type "/rancher diagnose --watch 5s" there, as ${approver.name} (an approver) or as a user who is not one.`,
        'Ctrl-C stops everything the demo started.',
        '',
      ].join('\n'),
    );
    return await Promise.race([signalled, serveEnded]);
  } catch (err) {
    await stop();
    if (err instanceof PortTakenError) say(err.message);
    else say(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

// Run as `rancher-doctor demo ...` (the bin script passes "demo" along) or as `demo.js ...`.
const argv = process.argv.slice(2);
const program = demoCommand().exitOverride().showHelpAfterError();
try {
  await program.parseAsync(argv[0] === 'demo' ? argv.slice(1) : argv, { from: 'user' });
} catch (err) {
  const code = (err as { exitCode?: number }).exitCode;
  process.exitCode = typeof code === 'number' ? (code === 0 ? 0 : 2) : 1;
  if (typeof code !== 'number') say(err instanceof Error ? err.message : String(err));
}
// Whatever a library left open (a Redis reconnect timer) must not keep the demo alive once stopped.
process.stdout.write('', () => process.stderr.write('', () => process.exit(process.exitCode ?? 0)));
