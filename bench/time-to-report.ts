/**
 * `npm run bench -- time-to-report [--runs=N] [--only=cli|slack]`: how long after the command the report arrives, on
 * the seed scenario, through the built CLI (`rancher-doctor diagnose`) and through Slack (the
 * built `rancher-doctor serve`, bot and worker in one process on real Redis, a signed
 * `/rancher diagnose` sent to it, the stand-in Slack Web API recording its messages). Median of a
 * few runs each:
 * - with the loop running and the default window (60 s): target, the report within 15 s (the watch
 *   ends once the loop is plain);
 * - with nothing looping: the whole window (20 s here, to keep the bench short), since "nothing
 *   loops" needs all of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { buildCli, runProcess } from './process.js';
import { startStandin, type Standin } from '../test/standin/index.js';
import { SlackApiStandin, blocksText, type RecordedCall } from '../test/support/slack-api.js';
import { postToBot, signedHeaders, slashCommandBody } from '../test/support/slack-signer.js';

const TARGET_MS = 15_000;
const QUIET_WINDOW_SECONDS = 20;
const SECRET = 'bench-signing-secret';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Case {
  name: string;
  looping: boolean;
  /** The window asked; null: the default (60 s). */
  watch: string | null;
}

const CASES: Case[] = [
  { name: 'loop running, default window (60 s)', looping: true, watch: null },
  {
    name: `nothing looping, --watch ${QUIET_WINDOW_SECONDS}s`,
    looping: false,
    watch: `${QUIET_WINDOW_SECONDS}s`,
  },
];

async function withStandin<T>(
  looping: boolean,
  dir: string,
  fn: (s: Standin, kubeconfig: string) => Promise<T>,
) {
  // The seed's own loop period (50 ms, about 1,200 writes a minute); null stops it.
  const standin = await startStandin(looping ? {} : { loopIntervalMs: null });
  const kubeconfig = path.join(dir, `kubeconfig-${Date.now()}.yaml`);
  await standin.writeKubeconfig(kubeconfig);
  try {
    return await fn(standin, kubeconfig);
  } finally {
    await standin.close();
  }
}

async function cliRun(cli: string, c: Case, dir: string): Promise<{ ms: number; ended: string }> {
  return withStandin(c.looping, dir, async (standin, kubeconfig) => {
    const args = ['diagnose', '--json', ...(c.watch ? ['--watch', c.watch] : [])];
    const r = await runProcess(cli, args, {
      ...process.env,
      KUBECONFIG: kubeconfig,
      RANCHER_URL: standin.url,
      RANCHER_TOKEN: standin.rancherToken,
      LOG_LEVEL: 'silent',
    });
    const report = JSON.parse(r.stdout) as { scope: { watchEnd?: { reason: string } } };
    return { ms: r.ms, ended: report.scope.watchEnd?.reason ?? 'unknown' };
  });
}

async function waitHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error('serve never became healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `rancher-doctor serve` as built, on a port it chooses and prints in its log. */
function startServe(cli: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let found = false;
    // Its log lines (pino JSON) may come on either stream; the start line has the port.
    const onData = (chunk: Buffer) => {
      if (found) return;
      out += chunk.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        found = true;
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function slackRun(cli: string, c: Case, dir: string, run: number): Promise<{ ms: number }> {
  return withStandin(c.looping, dir, async (standin, kubeconfig) => {
    const slack = await new SlackApiStandin().start();
    const prefix = `bench-ttr-${process.pid}-${run}-${c.looping ? 'loop' : 'quiet'}`;
    const { child, port } = await startServe(cli, {
      ...process.env,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      PORT: '0',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: prefix,
      KUBECONFIG: kubeconfig,
      RANCHER_URL: standin.url,
      RANCHER_TOKEN: standin.rancherToken,
      APPROVERS: 'U0ALICE',
      LOG_LEVEL: 'info',
    });
    try {
      await waitHealthy(port);
      const text = `diagnose${c.watch ? ` --watch ${c.watch}` : ''}`;
      const body = slashCommandBody({ text, channelId: 'C0BENCH' });
      const started = performance.now();
      const ack = await postToBot(`http://127.0.0.1:${port}/slack/events`, body, signedHeaders(SECRET, body));
      const ackText = (ack.json as { text?: string } | null)?.text ?? '';
      if (ack.status !== 200 || !/queued as/.test(ackText))
        throw new Error(`the bot answered ${ack.status}: ${ackText}`);
      // The report is the update that says how long the job took (progress updates do not).
      const isReport = (call: RecordedCall) =>
        call.method === 'chat.update' && /took \d/.test(blocksText(call.args.blocks));
      await slack
        .waitFor((calls) => calls.some(isReport), 150_000, 'the report')
        .catch((error: Error) => {
          const last = slack.calls.filter((call) => call.method.startsWith('chat.')).at(-1);
          throw new Error(
            `${error.message}; the last message: ${last ? blocksText(last.args.blocks) : 'none'}`,
          );
        });
      return { ms: performance.now() - started };
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await slack.close();
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const left = await redis.keys(`${prefix}:*`);
      if (left.length) await redis.del(...left);
      redis.disconnect();
    }
  });
}

export async function run(args: string[]): Promise<void> {
  const runs = Number(/^--runs=(\d+)$/.exec(args.find((a) => a.startsWith('--runs=')) ?? '')?.[1] ?? 3);
  const cli = buildCli().bin;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-ttr-'));
  try {
    for (const c of CASES) {
      for (const via of ['CLI', 'Slack'] as const) {
        if (args.includes(`--only=${via === 'CLI' ? 'slack' : 'cli'}`)) continue;
        const times: number[] = [];
        const ended: string[] = [];
        for (let i = 0; i < runs; i++) {
          if (via === 'CLI') {
            const r = await cliRun(cli, c, dir);
            times.push(r.ms);
            ended.push(r.ended);
          } else {
            times.push((await slackRun(cli, c, dir, i)).ms);
          }
        }
        const m = median(times);
        const verdict = c.looping
          ? `target <= ${seconds(TARGET_MS)}: ${m <= TARGET_MS ? 'met' : 'NOT met'}`
          : `whole window (${QUIET_WINDOW_SECONDS} s): ${m >= QUIET_WINDOW_SECONDS * 1000 ? 'yes' : 'NO'}`;
        // The JSON says why the watch ended; the Slack message only how long it took.
        const why = ended.length ? `; watch ended: ${ended.join(', ')}` : '';
        console.log(
          `${c.name}, ${via}: median ${seconds(m)} (runs: ${times.map(seconds).join(', ')}); ${verdict}${why}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
