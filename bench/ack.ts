/**
 * `npm run bench -- ack`: the bot running for real in its own process (`rancher-doctor bot`, HTTP
 * receiver, real Redis at REDIS_URL or 127.0.0.1:6379, stand-in Slack Web API), 20 signed
 * `/rancher diagnose` commands sent at once, for a few rounds; prints p50 and p99 of the time to
 * the ack next to the target.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { SlackApiStandin } from '../test/support/slack-api.js';
import { signedHeaders, slashCommandBody } from '../test/support/slack-signer.js';

const TARGET_P99_MS = 50;
const CONCURRENCY = 20;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export async function run(args: string[]): Promise<void> {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? '10');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-ack-${process.pid}`;
  const secret = 'bench-signing-secret';
  const slack = await new SlackApiStandin().start();
  const bot = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bot'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.url,
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
  const url = `http://127.0.0.1:${port}/slack/events`;
  const send = async (text: string): Promise<number> => {
    const body = slashCommandBody({ text, channelId: 'C0BENCH' });
    const started = performance.now();
    const res = await fetch(url, { method: 'POST', headers: signedHeaders(secret, body), body });
    const reply = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200 || !reply.includes('queued as'))
      throw new Error(`unexpected ack ${res.status}: ${reply.slice(0, 200)}`);
    return elapsed;
  };
  let sent = 0;
  try {
    // Warm-up: the first requests pay for module loading and connection set-up.
    for (let i = 0; i < 5; i++, sent++) await send(`diagnose c-warm${i}`);
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) => send(`diagnose c-r${round}n${i} --since 30m`)),
      );
      sent += CONCURRENCY;
      samples.push(...batch);
      // Let the queued messages go out between rounds, as between bursts of real commands.
      await slack.waitFor(
        (calls) => calls.filter((c) => c.method === 'chat.postMessage').length >= sent,
        10000,
      );
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `ack latency: ${rounds} rounds x ${CONCURRENCY} concurrent signed /rancher diagnose to \`rancher-doctor bot\`, real Redis (${redisUrl}), each one enqueued`,
    );
    console.log(
      `  p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${sorted.at(-1)!.toFixed(1)} ms   (${samples.length} samples)`,
    );
    console.log(
      `  target p99 <= ${TARGET_P99_MS} ms: ratio p99/target = ${(p99 / TARGET_P99_MS).toFixed(2)} (${p99 <= TARGET_P99_MS ? 'met' : 'NOT met'})`,
    );
  } finally {
    bot.kill('SIGTERM');
    await new Promise((r) => bot.once('exit', r));
    await slack.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}
