import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  alertLabels,
  alertmanagerWebhook,
  matchersOf,
  MAX_WEBHOOK_BYTES,
} from '../../src/server/alertmanager-webhook.js';
import { startHttpServer, type RunningHttpServer } from '../../src/server/http.js';
import { RecordingSink } from './recording-sink.js';
import { deleteKeys } from '../support/redis.js';

const TOKEN = 'am-token-0123456789abcdef';
const PREFIX = `test-am-webhook-${process.pid}`;

let redis: Redis;
let server: RunningHttpServer;
let sink: RecordingSink;
let logLines: string[];

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
});

beforeEach(async () => {
  sink = new RecordingSink();
  logLines = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  server = await startHttpServer({
    port: 0,
    opsPort: 0,
    host: '127.0.0.1',
    registry: new Registry(),
    ready: () => null,
    log,
    slack: { path: '/slack/events', maxFutureSkewSeconds: 300, listener: (_q, s) => s.end('slack') },
    internal: [
      {
        path: '/alertmanager',
        route: alertmanagerWebhook({ token: TOKEN, redis, prefix: PREFIX, incidents: sink, log }),
      },
    ],
  });
});

afterEach(async () => {
  await server.close();
  await deleteKeys(redis, `${PREFIX}:*`);
});

afterAll(() => redis.disconnect());

const STARTS = '2024-05-07T08:24:37.493121234Z';

interface TestAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

function alert(status: 'firing' | 'resolved', fingerprint = 'a1b2c3d4e5f60718'): TestAlert {
  return {
    status,
    labels: { alertname: 'RancherNodeObjectWriteLoop', cluster_id: 'c-dql6k', node_id: 'machine-h46dc' },
    annotations: { summary: 'nodes.management.cattle.io written 12/s' },
    startsAt: STARTS,
    endsAt: status === 'resolved' ? '2024-05-07T09:00:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint,
  };
}

function payload(alerts: TestAlert[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="RancherNodeObjectWriteLoop"}',
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'rancher-doctor',
    groupLabels: { alertname: 'RancherNodeObjectWriteLoop' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

async function post(
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  port = server.opsPort,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const storedKeys = () => redis.keys(`${PREFIX}:*`);

describe('POST /alertmanager', () => {
  it('turns a firing alert into an incident and its resolution into a resolved notice', async () => {
    expect((await post(payload([alert('firing')]))).status).toBe(200);
    expect((await post(payload([alert('resolved')]))).status).toBe(200);
    expect(sink.events).toEqual([
      {
        kind: 'fire',
        incident: {
          fingerprint: 'alertmanager:a1b2c3d4e5f60718',
          clusterId: 'c-dql6k',
          objectKey: 'c-dql6k/machine-h46dc',
          source: 'alertmanager',
          summary: 'nodes.management.cattle.io written 12/s',
          startsAt: '2024-05-07T08:24:37.493Z',
        },
      },
      { kind: 'resolve', fingerprint: 'alertmanager:a1b2c3d4e5f60718', at: '2024-05-07T09:00:00.000Z' },
    ]);
  });

  it("keeps the firing alert's labels, from which a snooze silences exactly that alert", async () => {
    await post(payload([alert('firing')]));
    const labels = await alertLabels(redis, PREFIX, 'alertmanager:a1b2c3d4e5f60718');
    expect(labels).toEqual(alert('firing').labels);
    expect(matchersOf(labels!)).toEqual([
      { name: 'alertname', value: 'RancherNodeObjectWriteLoop' },
      { name: 'cluster_id', value: 'c-dql6k' },
      { name: 'node_id', value: 'machine-h46dc' },
    ]);
    expect(await alertLabels(redis, PREFIX, 'alertmanager:ffff')).toBeNull();
  });

  it('makes one incident of the same notification sent three times', async () => {
    const body = payload([alert('firing')]);
    for (let i = 0; i < 3; i++) expect((await post(body)).status).toBe(200);
    expect(sink.events.map((e) => e.kind)).toEqual(['fire']);
    // The same alert firing again later (a new startsAt) is a new incident.
    await post(payload([{ ...alert('firing'), startsAt: '2024-05-08T00:00:00Z' }]));
    expect(sink.events.map((e) => e.kind)).toEqual(['fire', 'fire']);
  });

  it('names no cluster when the labels name none, or name something that is not a Rancher id', async () => {
    const bare = { ...alert('firing', 'ff01'), labels: { alertname: 'KubeAPIServerMemoryGrowth' } };
    const odd = { ...alert('firing', 'ff02'), labels: { alertname: 'X', cluster_id: 'prod; rm -rf' } };
    await post(payload([bare, odd]));
    expect(sink.events).toMatchObject([
      { incident: { clusterId: null, objectKey: null } },
      { incident: { clusterId: null, objectKey: null, summary: 'nodes.management.cattle.io written 12/s' } },
    ]);
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer am-token-0123456789abcdeX' }],
    ['the token not as a bearer token', { authorization: TOKEN }],
    ['basic auth', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
  ])('refuses %s with 401 and stores nothing', async (_what, headers) => {
    const res = await post(payload([alert('firing')]), headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(sink.events).toEqual([]);
    expect(await storedKeys()).toEqual([]);
  });

  it.each([
    ['not JSON', '{"version": "4",', /^body is not JSON: /],
    ['another version', { ...payload([alert('firing')]), version: '3' }, /^version: /],
    [
      'an alert without a fingerprint',
      payload([{ ...alert('firing'), fingerprint: undefined as unknown as string }]),
      /^alerts\.0\.fingerprint: /,
    ],
    [
      'a start time that is not a time',
      payload([{ ...alert('firing'), startsAt: 'yesterday' }]),
      /^alerts\.0\.startsAt: /,
    ],
    [
      'an alert of unknown status',
      payload([{ ...alert('firing'), status: 'pending' }]),
      /^alerts\.0\.status: /,
    ],
  ])('refuses %s with 400 and the reason', async (_what, body, reason) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(reason);
    expect(sink.events).toEqual([]);
    expect(await storedKeys()).toEqual([]);
  });

  it('refuses a body over the limit with 413, declared or sent in chunks', async () => {
    const big = JSON.stringify({ ...payload([alert('firing')]), pad: 'x'.repeat(MAX_WEBHOOK_BYTES) });
    expect((await post(big)).status).toBe(413);

    // No Content-Length: the body is cut off once it passes the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.opsPort,
          path: '/alertmanager',
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const more = () => {
        while (sent <= MAX_WEBHOOK_BYTES) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
    expect(status).toBe(413);
    expect(sink.events).toEqual([]);
    expect(await storedKeys()).toEqual([]);
  });

  it('answers 500 when the incident cannot be recorded, and delivers it on the retry', async () => {
    sink.failWith = new Error('incident store down');
    expect((await post(payload([alert('firing')]))).status).toBe(500);
    sink.failWith = null;
    expect((await post(payload([alert('firing')]))).status).toBe(200);
    expect(sink.events.map((e) => e.kind)).toEqual(['fire']);
  });

  it('is served on the internal port only, never beside Slack', async () => {
    expect((await post(payload([alert('firing')]), undefined, server.port)).status).toBe(404);
    expect(sink.events).toEqual([]);
  });

  it('shares the one port only with a process that serves Slack nothing (a worker)', async () => {
    const internal = [
      { path: '/alertmanager', route: (_q: unknown, r: http.ServerResponse) => void r.end('am') },
    ];
    const common = {
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => null,
      log: pino({ level: 'silent' }),
      internal,
    };
    const worker = await startHttpServer(common);
    const bot = await startHttpServer({
      ...common,
      slack: { path: '/slack/events', maxFutureSkewSeconds: 300, listener: (_q, r) => r.end('slack') },
    });
    try {
      expect((await fetch(`http://127.0.0.1:${worker.port}/alertmanager`, { method: 'POST' })).status).toBe(
        200,
      );
      expect((await fetch(`http://127.0.0.1:${bot.port}/alertmanager`, { method: 'POST' })).status).toBe(404);
    } finally {
      await worker.close();
      await bot.close();
    }
  });

  it('never logs the token', async () => {
    await post(payload([alert('firing')]));
    await post(payload([alert('firing')]), { authorization: 'Bearer wrong-token-0123456789' });
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(TOKEN);
  });
});
