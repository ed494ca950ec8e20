import { afterEach, describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Incident } from '../../src/alerts/incident.js';
import { RedisIncidentStore } from '../../src/queue/incident-store.js';
import type { RunningRoles } from '../../src/app/roles.js';
import { expectMessageGolden } from '../support/golden.js';
import { postToBot, signedHeaders, slashCommandBody } from '../support/slack-signer.js';
import { ALERT_CHANNEL, alertGroundEachTest, roots } from './support.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');
const golden = (name: string, msg: { text: string; blocks: unknown[] }) =>
  expectMessageGolden(join(GOLDEN_DIR, `${name}.json`), msg as Parameters<typeof expectMessageGolden>[1]);

const openGround = alertGroundEachTest();
let redis: Redis | null = null;
afterEach(async () => {
  redis?.disconnect();
  redis = null;
});

async function ready(roles: RunningRoles): Promise<string> {
  const deadline = Date.now() + 20000;
  while ((await fetch(`http://127.0.0.1:${roles.port}/healthz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the bot never became healthy');
    await new Promise((r) => setTimeout(r, 50));
  }
  return `http://127.0.0.1:${roles.port}/slack/events`;
}

/** A signed `/rancher <text>` and the answer Slack would show (only to the one who typed it). */
async function command(url: string, text: string, userId = 'U0ALICE') {
  const body = slashCommandBody({ text, userId, channelId: 'C0OPS' });
  const res = await postToBot(url, body, signedHeaders('alerts-secret', body));
  expect(res.status).toBe(200);
  const answer = res.json as { response_type: string; text: string; blocks: unknown[] };
  expect(answer.response_type).toBe('ephemeral');
  return { text: answer.text, blocks: answer.blocks };
}

const incident = (node: string, over: Partial<Incident> = {}): Incident => ({
  v: 1,
  fingerprint: `node:c-dql6k/${node}`,
  clusterId: 'c-dql6k',
  objectKey: `c-dql6k/${node}`,
  source: 'watch',
  summary: `node object ${node} of cluster c-dql6k is rewritten in a loop`,
  startsAt: '2025-03-04T10:00:00Z',
  state: 'diagnosed',
  message: {
    channel: ALERT_CHANNEL,
    ts: '1741082400.000100',
    permalink: `https://example.slack.com/archives/${ALERT_CHANNEL}/p1741082400000100`,
  },
  summaryRoot: null,
  writesPerMinute: 1180,
  peakPerMinute: 1200,
  toldPerMinute: 1180,
  ack: null,
  dismissed: null,
  diagnosis: { jobId: 'dm7x2k9abc123', state: 'done' },
  resolvedAt: null,
  previous: null,
  ...over,
});

describe('/rancher alerts, through signed slash commands', () => {
  it('lists the open incidents, who acknowledged them, and the snoozes', async () => {
    const g = await openGround();
    redis = new Redis('redis://127.0.0.1:6379');
    const store = new RedisIncidentStore(redis, { prefix: g.prefix, retentionSeconds: 600 });
    await store.put(incident('machine-h46dc', { ack: { userId: 'U0BOB', at: '2025-03-04T10:03:00Z' } }));
    await store.put(
      incident('machine-k2p9x', {
        startsAt: '2025-03-04T10:20:00Z',
        state: 'diagnosing',
        writesPerMinute: 640,
        diagnosis: { jobId: 'dq4n8v2def456', state: 'running' },
      }),
    );
    // Far ahead, so that the snooze is still on when the command reads it.
    await store.snooze({
      fingerprint: 'node:c-dql6k/machine-x',
      until: '2099-03-04T14:00:00Z',
      userId: 'U0ALICE',
    });
    const url = await ready(await g.start('bot'));

    golden('alerts-command-list', await command(url, 'alerts'));

    await redis.del(`${g.prefix}:doctor:alerts:open`, `${g.prefix}:doctor:alerts:snoozes`);
    const empty = await command(url, 'alerts');
    expect(empty.text).toBe('0 open incidents, 0 snoozes');
  }, 60000);

  it('alerts test: a test alert in ALERT_CHANNEL, marked as one; no incident opened, nothing snoozed', async () => {
    const g = await openGround();
    const url = await ready(await g.start('bot'));

    golden('alerts-command-test-ack', await command(url, 'alerts test', 'U0CAROL'));
    await g.slack.waitFor((calls) => roots(calls).length >= 1, 20000, 'the test alert');
    const posted = roots(g.slack.calls);
    expect(posted).toHaveLength(1);
    golden('alerts-command-test-sample', {
      text: String(posted[0]!.args.text),
      blocks: posted[0]!.args.blocks as unknown[],
    });

    redis = new Redis('redis://127.0.0.1:6379');
    const store = new RedisIncidentStore(redis, { prefix: g.prefix, retentionSeconds: 600 });
    expect(await store.open()).toEqual([]);
    expect(await store.snoozes(Date.now())).toEqual([]);
    expect(await redis.keys(`${g.prefix}:doctor:alerts:incident:*`)).toEqual([]);
    expect(await redis.keys(`${g.prefix}:doctor:alerts:snooze:*`)).toEqual([]);
    // No buttons: nothing on it can acknowledge or snooze anything.
    expect(JSON.stringify(posted[0]!.args.blocks)).not.toContain('"button"');
  }, 60000);

  it('without ALERT_CHANNEL: both commands say how to set it, and nothing is posted', async () => {
    const g = await openGround({ ALERT_CHANNEL: '' });
    const url = await ready(await g.start('bot'));

    const list = await command(url, 'alerts');
    golden('alerts-command-off', list);
    expect(await command(url, 'alerts test')).toEqual(list);
    expect(g.slack.callsOf('chat.postMessage')).toEqual([]);
  }, 60000);

  it('help lists alerts and alerts test', async () => {
    const g = await openGround();
    const url = await ready(await g.start('bot'));
    const help = JSON.stringify((await command(url, 'help')).blocks);
    expect(help).toContain('`/rancher alerts`');
    expect(help).toContain('`/rancher alerts test`');
  }, 60000);
});
