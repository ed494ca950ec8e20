import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../src/app/roles.js';
import { SlackApiStandin, slashEnvelope, type Delivery } from '../support/slack-api.js';
import { NO_ENGINE, socketModeEnv } from '../support/bot-env.js';
import { deleteKeys } from '../support/redis.js';

const PREFIX = `t-socket-reconnect-${process.pid}`;
/** Slack's 20 commands over 10 s, compressed: the property shown is the same at any spacing. */
const COMMANDS = 20;
const SPACING_MS = Number(process.env.SOCKET_TEST_SPACING_MS ?? 100);

let slack: SlackApiStandin;
let bot: RunningRoles;
let base: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

function lost(deliveries: Delivery[]): string[] {
  return deliveries.flatMap((d, i) => (d.outcome === 'acked' ? [] : [`command ${i}: ${d.reason}`]));
}

beforeAll(async () => {
  slack = await new SlackApiStandin({ closeAfterDisconnectMs: 2000 }).start();
  bot = await startRoles(
    'bot',
    { ...socketModeEnv(slack.url, PREFIX), SLACK_RECONNECT_BASE_MS: '50' },
    NO_ENGINE,
  );
  base = `http://127.0.0.1:${bot.port}`;
  await until('both connections', () => slack.deliverableConnections() === 2);
}, 30000);

afterAll(async () => {
  await bot?.shutdown();
  const redis = new Redis('redis://127.0.0.1:6379');
  await deleteKeys(redis, `${PREFIX}:*`);
  redis.disconnect();
  await slack.close();
});

describe('Socket Mode reconnects lose nothing', () => {
  it(`a refresh_requested in the middle of ${COMMANDS} commands: every one delivered and acked`, async () => {
    const outcomes: Promise<Delivery>[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      const sent = slack.deliver(slashEnvelope(`env-refresh-${i}`, 'help'));
      // Right behind the 10th command, on its connection: its ack is still owed when Slack asks.
      if (i === COMMANDS / 2) slack.requestRefresh(sent.connection!);
      outcomes.push(sent.outcome);
      await sleep(SPACING_MS);
    }
    const deliveries = await Promise.all(outcomes);
    expect(lost(deliveries)).toEqual([]);
    for (const d of deliveries) expect(JSON.stringify(d)).toContain('/rancher diagnose');
    // The refreshed connection was replaced: two open again, through three apps.connections.open.
    await until('the replacement', () => slack.deliverableConnections() === 2);
    expect(slack.callsOf('apps.connections.open')).toHaveLength(3);
    expect(await metric('rancher_doctor_slack_socket_reconnects_total')).toContain(
      'reason="refresh_requested"} 1',
    );
  });

  it('a dropped socket: the commands after it go to the other connection, and it is reopened', async () => {
    slack.dropConnection();
    const deliveries = [];
    for (let i = 0; i < 5; i++) {
      deliveries.push(await slack.deliver(slashEnvelope(`env-drop-${i}`, 'help')).outcome);
    }
    expect(lost(deliveries)).toEqual([]);
    await until('the reopened connection', () => slack.deliverableConnections() === 2);
  });

  it('an outage: /readyz and /healthz 503, /livez 200, the gauge at 0; all back after it', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await metric('rancher_doctor_slack_socket_connections')).toMatch(/connections 2$/m);
    slack.setDown(true);
    await until('not ready', async () => (await fetch(`${base}/readyz`)).status === 503);
    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(503);
    expect(await healthz.text()).toContain('Socket Mode');
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(await metric('rancher_doctor_slack_socket_connections')).toMatch(/connections 0$/m);

    slack.setDown(false);
    await until('ready again', async () => (await fetch(`${base}/readyz`)).status === 200);
    await until('both connections', () => slack.deliverableConnections() === 2);
    expect(await metric('rancher_doctor_slack_socket_connections')).toMatch(/connections 2$/m);
  });
});
