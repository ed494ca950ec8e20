import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BUILT_CLI } from '../support/cli.js';
import { SlackApiStandin } from '../support/slack-api.js';
import { socketModeEnv } from '../support/bot-env.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-slack-tokens-${process.pid}`;
/** A bound on the wait, not a measure of speed: a half-started process never exits at all. */
const EXIT_BOUND_MS = 20000;

let slack: SlackApiStandin;
let dir: string;
const running = new Set<ChildProcess>();

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The built CLI in its own process group, as a container runs it; JSON logs at info. */
function startCli(role: string, env: Record<string, string>): Run {
  const child = spawn(BUILT_CLI, [role], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  running.add(child);
  const err: Buffer[] = [];
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, stderr: () => Buffer.concat(err).toString(), exited };
}

async function exitCode(run: Run): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), EXIT_BOUND_MS);
  });
  const code = await Promise.race([run.exited, bound]);
  clearTimeout(timer);
  if (code === 'still running') throw new Error(`the process did not exit; its stderr:\n${run.stderr()}`);
  return code;
}

function httpEnv(): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'secret',
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: PREFIX,
    KUBECONFIG: join(dir, 'kubeconfig.yaml'),
  };
}

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
  dir = mkdtempSync(join(tmpdir(), 'rd-tokens-'));
  // Never reached: the process stops at auth.test, before any diagnosis.
  writeFileSync(
    join(dir, 'kubeconfig.yaml'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: local, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: local, context: {cluster: local, user: u}}]',
      'current-context: local',
      '',
    ].join('\n'),
  );
});

afterEach(() => {
  for (const child of running) process.kill(-child.pid!, 'SIGKILL');
  running.clear();
});

afterAll(async () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a token Slack refuses stops the process, naming the setting', () => {
  it.each([
    ['bot', 'auth.test', 'invalid_auth', 'SLACK_BOT_TOKEN'],
    ['bot', 'apps.connections.open', 'invalid_auth', 'SLACK_APP_TOKEN'],
    ['bot', 'apps.connections.open', 'not_allowed_token_type', 'SLACK_APP_TOKEN'],
    ['serve', 'auth.test', 'invalid_auth', 'SLACK_BOT_TOKEN'],
  ])('%s: %s answering %s at start exits 2 naming %s', async (role, method, error, setting) => {
    slack.script(method, { status: 'error', error }, 50);
    try {
      // serve over HTTP: its worker (Redis, the cluster client) is started too and must not linger.
      const env = role === 'serve' ? httpEnv() : socketModeEnv(slack.url, PREFIX);
      const run = startCli(role, env);
      expect(await exitCode(run)).toBe(2);
      expect(run.stderr()).toContain(`${setting} was refused by Slack (${method}: ${error})`);
    } finally {
      slack.unscript(method);
    }
  });

  it('an app token revoked while running: logged once with what to do, shut down gracefully, exit 2', async () => {
    const run = startCli('bot', socketModeEnv(slack.url, PREFIX));
    const deadline = Date.now() + EXIT_BOUND_MS;
    while (slack.deliverableConnections() < 2) {
      if (Date.now() > deadline) throw new Error(`the bot never connected; its stderr:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A refresh first: it leaves an info line with its reason.
    slack.requestRefresh();
    while (!run.stderr().includes('refresh_requested')) {
      if (Date.now() > deadline) throw new Error(`no reconnect line; its stderr:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    slack.revokeAppToken();
    expect(await exitCode(run)).toBe(2);
    const stderr = run.stderr();
    const lines = stderr.split('\n').filter((l) => l.includes('SLACK_APP_TOKEN was refused by Slack'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('connections:write');
    expect(JSON.parse(lines[0]!).level).toBe(50);
    const reconnect = stderr.split('\n').find((l) => l.includes('"reason":"refresh_requested"'));
    expect(JSON.parse(reconnect!).level).toBe(30);
    expect(stderr).toContain('rancher-doctor stopped');
    expect(stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(stderr).not.toMatch(/ticket=t/);
  });
});
