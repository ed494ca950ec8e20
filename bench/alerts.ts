/**
 * `npm run bench -- alerts`: (1) how long from the stand-in starting a loop to the alert in the
 * stand-in Slack, median of several runs, with ALERT_FOR=10s (target ALERT_FOR + 15 s); (2) what
 * the detector costs with 20,000 node objects, one of them rewritten 20 times a second, over a
 * steady minute: CPU share of one core from /proc, resident memory from /proc and the JS heap, for
 * a worker (the built CLI, in its own process) with the detector and the same worker without it
 * (the difference is the detector's share of a worker), and for the detector alone in a process
 * of its own (bench/detector-alone.ts, bundled) beside its idle twin (the same process, libraries
 * loaded and connected, no detector started). Targets: under 5 % of one core and under 100 MB.
 *
 * Options: --runs=N (latency runs, 0 skips them), --seconds=N (the steady span), --no-build (use the
 * CLI as built: `tsc -p tsconfig.build.json && tsx scripts/bundle.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRoles } from '../src/app/roles.js';
import { generateLargeScenario, startStandin, type Standin } from '../test/standin/index.js';
import { SlackApiStandin } from '../test/support/slack-api.js';
import { buildCli, type BuiltCli } from './process.js';
import { freePort } from '../test/support/free-port.js';

const ALERT_FOR_S = 10;
const RUNS = 3;

export async function run(args: string[]): Promise<void> {
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? RUNS);
  if (runs > 0) await latency(runs);
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? 60);
  if (args.includes('--no-build')) {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    built = { bin: path.resolve(pkg.bin['rancher-doctor']!), bundle: path.resolve('dist/bundle/main.js') };
  }
  console.log(
    `load average at the start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  // The same worker without ALERT_CHANNEL: what the detector adds is the difference.
  const withDetector = await cost(seconds, 'worker');
  const without = await cost(seconds, 'worker-without');
  const alone = await cost(seconds, 'detector-alone');
  const idle = await cost(seconds, 'detector-idle');
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const added = {
    cpu: withDetector.cpu - without.cpu,
    rss: withDetector.rss - without.rss,
    heap: withDetector.heap - without.heap,
  };
  console.log(
    [
      'the detector against the targets (5 % of one core, 100 MB):',
      `  in a worker (with minus without): CPU ${(added.cpu * 100).toFixed(2)} % (ratio ${(added.cpu / 0.05).toFixed(2)}), RSS ${mb(added.rss)} (ratio ${(added.rss / 100e6).toFixed(2)}), heap ${mb(added.heap)} (ratio ${(added.heap / 100e6).toFixed(2)})`,
      `  alone in a process:              CPU ${(alone.cpu * 100).toFixed(2)} % (ratio ${(alone.cpu / 0.05).toFixed(2)}), RSS ${mb(alone.rss)} (ratio ${(alone.rss / 100e6).toFixed(2)}), heap ${mb(alone.heap)} (ratio ${(alone.heap / 100e6).toFixed(2)})`,
      `  alone minus its idle twin:       CPU ${((alone.cpu - idle.cpu) * 100).toFixed(2)} % (ratio ${((alone.cpu - idle.cpu) / 0.05).toFixed(2)}), RSS ${mb(alone.rss - idle.rss)} (ratio ${((alone.rss - idle.rss) / 100e6).toFixed(2)}), heap ${mb(alone.heap - idle.heap)} (ratio ${((alone.heap - idle.heap) / 100e6).toFixed(2)})`,
      `load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    ].join('\n'),
  );
}

async function clean(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

function envFor(slack: SlackApiStandin, standin: Standin, kubeconfig: string, prefix: string) {
  return {
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    KUBECONFIG: kubeconfig,
    RANCHER_URL: standin.url,
    RANCHER_TOKEN: standin.rancherToken,
    ALERT_CHANNEL: 'C0ALERTS',
    ALERT_FOR: `${ALERT_FOR_S}s`,
    LOG_LEVEL: 'warn',
  };
}

async function latency(runs: number): Promise<void> {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const standin = await startStandin({ loopIntervalMs: null });
    const slack = await new SlackApiStandin().start();
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-alerts-'));
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await standin.writeKubeconfig(kubeconfig);
    const prefix = `bench-alerts-${process.pid}-${i}`;
    const worker = await startRoles('worker', envFor(slack, standin, kubeconfig, prefix));
    try {
      // The detector has its lease and its watch open before the loop starts.
      await new Promise((r) => setTimeout(r, 2000 + Math.random() * 10_000));
      const started = Date.now();
      standin.loop.start(50);
      await slack.waitFor(
        (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.answer !== undefined),
        120_000,
        'the alert',
      );
      const at = slack.calls.find((c) => c.method === 'chat.postMessage')!.at;
      seconds.push((at - started) / 1000);
      console.log(`run ${i + 1}: alert ${((at - started) / 1000).toFixed(1)} s after the loop started`);
    } finally {
      await worker.shutdown();
      await clean(prefix);
      await slack.close();
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const target = ALERT_FOR_S + 15;
  console.log(
    `loop to alert: median ${median.toFixed(1)} s over ${runs} runs (min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}); target ${target} s (ALERT_FOR ${ALERT_FOR_S} s + 15 s); ratio ${(median / target).toFixed(2)}`,
  );
}

/** utime + stime of a process, in clock ticks (100 a second on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

let built: BuiltCli | null = null;

type Subject = 'worker' | 'worker-without' | 'detector-alone' | 'detector-idle';

interface Cost {
  cpu: number;
  /** Peak resident memory, bytes. */
  rss: number;
  /** Peak JS heap used, bytes. */
  heap: number;
}

/**
 * bench/detector-alone.ts as one file that plain node runs; npm packages stay in node_modules, so
 * the file goes in dist/ (an ES module finds packages only from where it lies).
 */
async function bundleDetectorAlone(): Promise<string> {
  const { build } = await import('esbuild');
  const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const outfile = path.resolve('dist/bench/detector-alone.mjs');
  await build({
    entryPoints: ['bench/detector-alone.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: Object.keys(dependencies).flatMap((n) => [n, `${n}/*`]),
    logLevel: 'warning',
  });
  return outfile;
}

/** The worker's heap, from its own /metrics (prom-client's default metrics). */
async function workerHeap(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('rancher_doctor_nodejs_heap_size_used_bytes'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The detector-alone process's heap: it prints it on SIGUSR2. */
function aloneHeap(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      const line = d
        .toString()
        .split('\n')
        .find((l) => l.startsWith('{"heapUsed"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      resolve((JSON.parse(line) as { heapUsed: number }).heapUsed);
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR2');
  });
}

async function cost(seconds: number, subject: Subject): Promise<Cost> {
  const scenario = generateLargeScenario({
    clusters: 20,
    nodesPerCluster: 1000,
    orphans: 1,
    loopIntervalMs: 50,
  });
  const standin = await startStandin({ scenario, loopIntervalMs: null });
  const slack = await new SlackApiStandin().start();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-alerts-cost-'));
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  const prefix = `bench-alerts-cost-${process.pid}`;
  const objects = standin.list('local', '/apis/management.cattle.io/v3/nodes').length;
  const metricsPort = await freePort();
  const alone = subject === 'detector-alone' || subject === 'detector-idle';
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...envFor(slack, standin, kubeconfig, prefix),
    ...(subject === 'worker-without' ? { ALERT_CHANNEL: '' } : {}),
    ...(alone ? {} : { METRICS_PORT: String(metricsPort) }),
    ...(subject === 'detector-idle' ? { DETECTOR_IDLE: '1' } : {}),
  };
  const child = alone
    ? spawn(process.execPath, [await bundleDetectorAlone()], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn((built ??= buildCli()).bin, ['worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    standin.loop.start(50);
    // Start-up (the relist of every page) is left out: the steady cost is what runs for days.
    await new Promise((r) => setTimeout(r, 15_000));
    const pid = alone ? child.pid! : findNode(child.pid!);
    const heapOf = () => (alone ? aloneHeap(child) : workerHeap(metricsPort));
    const t0 = cpuTicks(pid);
    const w0 = standin.loop.writes(
      scenario.generatedOrphans[0]!.clusterId,
      scenario.generatedOrphans[0]!.nodeId,
    );
    let peakRss = 0;
    let peakHeap = 0;
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      peakRss = Math.max(peakRss, rssBytes(pid));
      if (s % 5 === 4) peakHeap = Math.max(peakHeap, await heapOf());
    }
    const cpu = (cpuTicks(pid) - t0) / 100 / seconds;
    const writes =
      standin.loop.writes(scenario.generatedOrphans[0]!.clusterId, scenario.generatedOrphans[0]!.nodeId) - w0;
    const what = {
      worker: 'worker with the detector',
      'worker-without': 'worker without alerts (baseline)',
      'detector-alone': 'the detector alone',
      'detector-idle': 'its idle twin (no detector started)',
    }[subject];
    console.log(
      `${what} over ${seconds} s, ${objects} node objects, one rewritten ${(writes / seconds).toFixed(1)} times a second: CPU ${(cpu * 100).toFixed(2)} % of one core, peak RSS ${(peakRss / 1048576).toFixed(1)} MiB, peak heap ${(peakHeap / 1048576).toFixed(1)} MiB; alerts posted: ${slack.calls.filter((c) => c.method === 'chat.postMessage').length}`,
    );
    return { cpu, rss: peakRss, heap: peakHeap };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await clean(prefix);
    await slack.close();
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bin/rancher-doctor is a shell script that execs node: the node process is the one to measure. */
function findNode(pid: number): number {
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (cmd.includes('node')) return pid;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  return Number(children[0] ?? pid);
}
