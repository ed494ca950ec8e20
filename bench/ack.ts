/**
 * `npm run bench -- ack [--rounds=N] [--profile]`: the bot running for real in its own process (`rancher-doctor
 * bot`, HTTP receiver, real Redis at REDIS_URL or 127.0.0.1:6379), the stand-in Slack Web API in a
 * third process, and this one only sending: 20 signed `/rancher diagnose` commands at once, for a
 * few rounds; prints p50 and p99 of the time to the ack next to the target.
 *
 * What is and is not counted:
 * - The bot is started and waited for until /healthz answers (Redis connected); then 5 commands one
 *   by one and 2 rounds of 20 at once warm it up (module loading, JIT, the 20 keep-alive
 *   connections). None of those is counted.
 * - Bodies are built and signed before a round starts; a sample is the time from writing the request
 *   to the end of the response, on connections already open (as Slack keeps them).
 * - The bot's chat.postMessage of each queued message goes to the stand-in in its own process, so
 *   answering it does not delay this process's reading of the acks.
 * The bot's own histogram (handler start to ack, inside the bot) is printed too, to tell the bot's
 * time from the machine's. `--profile` writes the bot's CPU profile into .bench/ack-profile/.
 */
import { fork, spawn } from 'node:child_process';
import { buildCli } from './process.js';
import http from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { signedHeaders, slashCommandBody } from '../test/support/slack-signer.js';

const TARGET_P99_MS = 50;
const CONCURRENCY = 20;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

interface Prepared {
  body: string;
  headers: Record<string, string>;
}

function post(
  agent: http.Agent,
  port: number,
  path: string,
  req: Prepared | null,
): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const r = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: req ? 'POST' : 'GET',
        agent,
        headers: req ? { ...req.headers, 'content-length': Buffer.byteLength(req.body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req?.body);
  });
}

/** The bot's CPU time so far (user + system), from its /metrics. */
function botCpuSeconds(metrics: string): number {
  const m = /^rancher_doctor_process_cpu_seconds_total (\S+)/m.exec(metrics);
  return m ? Number(m[1]) : NaN;
}

/** The bot's own ack histogram from /metrics: share of acks within each bucket. */
function ackBuckets(metrics: string): string {
  const rows = [...metrics.matchAll(/slash_command_ack_seconds_bucket\{le="([^"]+)"\} (\d+)/g)];
  const total = Number(rows.find((r) => r[1] === '+Inf')?.[2] ?? 0);
  if (!total) return 'no acks recorded';
  return rows
    .filter((r) => r[1] !== '+Inf' && Number(r[1]) <= 0.1)
    .map((r) => `<= ${Number(r[1]) * 1000} ms ${((100 * Number(r[2])) / total).toFixed(1)}%`)
    .join(', ');
}

export async function run(args: string[]): Promise<void> {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? '10');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-ack-${process.pid}`;
  const secret = 'bench-signing-secret';
  const load = loadavg()[0]!.toFixed(2);

  const slackProcess = fork('bench/slack-standin-process.ts', [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const slackUrl = await new Promise<string>((resolve, reject) => {
    slackProcess.once('message', (m: { url: string }) => resolve(m.url));
    slackProcess.once('exit', (code) => reject(new Error(`Slack stand-in exited with ${code}`)));
  });
  const postCount = () =>
    new Promise<number>((resolve) => {
      slackProcess.once('message', (m: { count: number }) => resolve(m.count));
      slackProcess.send({ count: 'chat.postMessage' });
    });

  const profile = args.includes('--profile')
    ? ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir=.bench/ack-profile']
    : [];
  // The bot as it is deployed: the built CLI, not the TypeScript sources through tsx.
  // Profiling flags are Node's own (not allowed in NODE_OPTIONS): then the bundle, under node.
  const cli = buildCli();
  const [command, argv] = profile.length
    ? [process.execPath, [...profile, cli.bundle, 'bot']]
    : [cli.bin, ['bot']];
  const bot = spawn(command, argv, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slackUrl,
      PORT: '0',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    bot.stderr!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const m = /"port":(\d+).*"msg":"rancher-doctor started"/.exec(buffered);
      if (m) resolve(Number(m[1]));
    });
    bot.once('exit', (code) => reject(new Error(`bot exited with ${code}: ${buffered}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const path = '/slack/events';
  const prepare = (text: string): Prepared => {
    const body = slashCommandBody({ text, channelId: 'C0BENCH' });
    return { body, headers: signedHeaders(secret, body) };
  };
  const send = async (req: Prepared): Promise<number> => {
    const res = await post(agent, port, path, req);
    if (res.status !== 200 || !res.body.includes('queued as'))
      throw new Error(`unexpected ack ${res.status}: ${res.body.slice(0, 200)}`);
    return res.ms;
  };
  let sent = 0;
  const burst = async (round: string): Promise<number[]> => {
    const batch = Array.from({ length: CONCURRENCY }, (_, i) =>
      prepare(`diagnose c-${round}n${i} --since 30m`),
    );
    const times = await Promise.all(batch.map(send));
    sent += CONCURRENCY;
    // Let the queued messages go out between rounds, as between bursts of real commands.
    const deadline = Date.now() + 20000;
    while ((await postCount()) < sent) {
      if (Date.now() > deadline) throw new Error(`the bot posted fewer than ${sent} queued messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return times;
  };
  try {
    const healthDeadline = Date.now() + 20000;
    while ((await post(agent, port, '/healthz', null).catch(() => null))?.status !== 200) {
      if (Date.now() > healthDeadline) throw new Error('the bot never became healthy (Redis?)');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 5; i++, sent++) await send(prepare(`diagnose c-warm${i}`));
    for (let i = 0; i < 2; i++) await burst(`warm${i}r`);

    const cpuBefore = botCpuSeconds((await post(agent, port, '/metrics', null)).body);
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) samples.push(...(await burst(`r${round}`)));
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const metrics = (await post(agent, port, '/metrics', null)).body;
    const cpuPerCommand = ((botCpuSeconds(metrics) - cpuBefore) * 1000) / samples.length;
    console.log(
      `ack latency: ${rounds} rounds x ${CONCURRENCY} concurrent signed /rancher diagnose to \`rancher-doctor bot\` (own process), real Redis (${redisUrl}), each one enqueued; warm-up not counted`,
    );
    console.log(
      `  p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${sorted.at(-1)!.toFixed(1)} ms   (${samples.length} samples; load average ${load} at start, ${loadavg()[0]!.toFixed(2)} at end, ${availableParallelism()} cores)`,
    );
    console.log(
      `  bot CPU per command (ack and the queued message after it): ${cpuPerCommand.toFixed(2)} ms; inside the bot, handler to ack (all commands incl. warm-up): ${ackBuckets(metrics)}`,
    );
    console.log(
      `  target p99 <= ${TARGET_P99_MS} ms: ratio p99/target = ${(p99 / TARGET_P99_MS).toFixed(2)} (${p99 <= TARGET_P99_MS ? 'met' : 'NOT met'})`,
    );
  } finally {
    agent.destroy();
    bot.kill('SIGTERM');
    await new Promise((r) => bot.once('exit', r));
    slackProcess.disconnect();
    await new Promise((r) => slackProcess.once('exit', r));
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}
