/**
 * The webhook and the silence client against a real Alertmanager (Debian's package
 * prometheus-alertmanager) on loopback, configured with the receiver of
 * deploy/alertmanager-receiver.yaml: alerts posted to its API reach our receiver through its own
 * routing, and the silences our client creates are the ones it applies. Skipped, with a message,
 * without Alertmanager.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createAlertmanagerClient } from '../../src/io/alertmanager-client.js';
import { alertmanagerWebhook } from '../../src/server/alertmanager-webhook.js';
import { startHttpServer, type RunningHttpServer } from '../../src/server/http.js';
import {
  ALERTMANAGER,
  listAlerts,
  postAlerts,
  startAlertmanager,
  type RunningAlertmanager,
} from './real-alertmanager.js';
import { RecordingSink } from './recording-sink.js';
import { deleteKeys } from '../support/redis.js';

if (!ALERTMANAGER) {
  console.warn(
    'Alertmanager is not on the PATH (Debian package prometheus-alertmanager): the real-Alertmanager tests are skipped',
  );
}
const describeWithAlertmanager = ALERTMANAGER ? describe : describe.skip;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'real-am-token-0123456789abcdef';
const PREFIX = `test-am-real-${process.pid}`;

interface ReceiverSnippet {
  route: { routes: Record<string, unknown>[] };
  receivers: {
    name: string;
    webhook_configs: { url: string; http_config: { authorization: { credentials_file: string } } }[];
  }[];
}

/**
 * The shipped snippet, with our server's address, the token in a file of `dir`, and intervals of a
 * second so that Alertmanager sends (and re-sends) without making the test wait.
 */
function alertmanagerConfig(webhookUrl: string, dir: string): object {
  const snippet = parse(
    readFileSync(join(ROOT, 'deploy/alertmanager-receiver.yaml'), 'utf8'),
  ) as ReceiverSnippet;
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  for (const receiver of snippet.receivers) {
    for (const webhook of receiver.webhook_configs) {
      webhook.url = webhookUrl;
      webhook.http_config.authorization.credentials_file = tokenFile;
    }
  }
  return {
    route: {
      receiver: 'nobody',
      routes: snippet.route.routes.map((r) => ({
        ...r,
        group_wait: '0s',
        group_interval: '1s',
        repeat_interval: '1s',
      })),
    },
    receivers: [{ name: 'nobody' }, ...snippet.receivers],
  };
}

/** Counts the notifications Alertmanager sends us, and lets a test wait for the nth. */
class Deliveries {
  count = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  seen(): void {
    this.count += 1;
    this.waiters = this.waiters.filter((w) => (this.count >= w.n ? void w.resolve() : true));
  }
  waitFor(n: number): Promise<void> {
    return this.count >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

const LOOP_LABELS = {
  alertname: 'RancherNodeObjectWriteLoop',
  rancher_doctor: 'true',
  cluster_id: 'c-dql6k',
  node_id: 'machine-h46dc',
};

describeWithAlertmanager('a real Alertmanager', () => {
  let redis: Redis;
  let dir: string;
  let server: RunningHttpServer;
  let alertmanager: RunningAlertmanager;
  let sink: RecordingSink;
  let deliveries: Deliveries;

  beforeAll(() => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  });
  afterAll(() => redis.disconnect());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rd-alertmanager-'));
    sink = new RecordingSink();
    deliveries = new Deliveries();
    const log = pino({ level: 'silent' });
    const webhook = alertmanagerWebhook({ token: TOKEN, redis, prefix: PREFIX, incidents: sink, log });
    server = await startHttpServer({
      port: 0,
      opsPort: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => null,
      log,
      internal: [
        {
          path: '/alertmanager',
          route: async (req, res) => {
            await webhook(req, res);
            if (res.statusCode === 200) deliveries.seen();
          },
        },
      ],
    });
    alertmanager = await startAlertmanager(
      alertmanagerConfig(`http://127.0.0.1:${server.opsPort}/alertmanager`, dir),
      dir,
    );
  });

  afterEach(async () => {
    await alertmanager?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    await deleteKeys(redis, `${PREFIX}:*`);
  });

  it('routes our alerts to the webhook: one incident however often it re-sends, then the resolved notice', async () => {
    const startsAt = new Date().toISOString();
    await postAlerts(alertmanager.url, [
      { labels: LOOP_LABELS, annotations: { summary: 'nodes written 12 times a second' }, startsAt },
      // Not ours (no rancher_doctor label): Alertmanager's routing keeps it from us.
      { labels: { alertname: 'SomethingElse' }, startsAt },
    ]);
    await sink.waitFor(1);
    const fingerprint = (await listAlerts(alertmanager.url)).find(
      (a) => a.labels.alertname === LOOP_LABELS.alertname,
    )!.fingerprint;
    expect(sink.events).toEqual([
      {
        kind: 'fire',
        incident: {
          fingerprint: `alertmanager:${fingerprint}`,
          clusterId: 'c-dql6k',
          objectKey: 'c-dql6k/machine-h46dc',
          source: 'alertmanager',
          summary: 'nodes written 12 times a second',
          startsAt,
        },
      },
    ]);

    // repeat_interval is a second: Alertmanager sends the same group again and again.
    await deliveries.waitFor(3);
    expect(sink.events).toHaveLength(1);

    const endsAt = new Date().toISOString();
    await postAlerts(alertmanager.url, [{ labels: LOOP_LABELS, startsAt, endsAt }]);
    await sink.waitFor(2);
    expect(sink.events[1]).toEqual({
      kind: 'resolve',
      fingerprint: `alertmanager:${fingerprint}`,
      at: endsAt,
    });
    expect(JSON.stringify(sink.events)).not.toContain('SomethingElse');
  });

  it('applies the silences our client creates: the snoozed object stops alerting, another does not', async () => {
    const client = createAlertmanagerClient({ url: alertmanager.url, timeoutMs: 5000 });
    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    const id = await client.createSilence({
      matchers: [
        { name: 'alertname', value: LOOP_LABELS.alertname },
        { name: 'node_id', value: LOOP_LABELS.node_id },
      ],
      endsAt,
      createdBy: 'rancher-doctor (U0APPROVER)',
      comment: 'snoozed for 1 h from Slack',
    });
    const silence = await client.getSilence(id);
    expect(silence).toMatchObject({
      id,
      status: { state: 'active' },
      createdBy: 'rancher-doctor (U0APPROVER)',
      comment: 'snoozed for 1 h from Slack',
      matchers: [
        { name: 'alertname', value: 'RancherNodeObjectWriteLoop', isRegex: false, isEqual: true },
        { name: 'node_id', value: 'machine-h46dc', isRegex: false, isEqual: true },
      ],
    });
    expect(new Date(silence.endsAt).toISOString()).toBe(endsAt);

    const other = { ...LOOP_LABELS, node_id: 'machine-other' };
    await postAlerts(alertmanager.url, [{ labels: LOOP_LABELS }, { labels: other }]);
    await sink.waitFor(1);
    await deliveries.waitFor(3);
    const states = await listAlerts(alertmanager.url);
    const snoozed = states.find((a) => a.labels.node_id === 'machine-h46dc')!;
    expect(snoozed.status).toMatchObject({ state: 'suppressed', silencedBy: [id] });
    expect(sink.events).toEqual([
      { kind: 'fire', incident: expect.objectContaining({ objectKey: 'c-dql6k/machine-other' }) },
    ]);
  });

  it('says what Alertmanager answered when it refuses a silence', async () => {
    const client = createAlertmanagerClient({ url: alertmanager.url, timeoutMs: 5000 });
    await expect(
      client.createSilence({
        matchers: [],
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        createdBy: 'x',
        comment: 'y',
      }),
    ).rejects.toThrow(/^Alertmanager answered 422: .*matchers/);
  });
});
