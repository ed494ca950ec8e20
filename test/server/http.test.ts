import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startHttpServer, type RunningHttpServer } from '../../src/server/http.js';
import { boltLogger } from '../../src/slack/app.js';
import { redactSecrets } from '../../src/slack/redact.js';
import { roleLogger } from '../../src/log.js';

/** A pino logger whose JSON lines the test reads. */
function capturedLog(): { log: pino.Logger; lines: () => Record<string, unknown>[]; raw: () => string[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  return { log, raw: () => raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let running: RunningHttpServer | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

describe('the HTTP server', () => {
  it('answers 500 and logs when a handler throws, and goes on serving', async () => {
    const { log, lines } = capturedLog();
    const registry = new Registry();
    registry.metrics = () => Promise.reject(new Error('registry broke'));
    running = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      ready: () => null,
      log,
      slack: {
        path: '/slack/events',
        maxFutureSkewSeconds: 300,
        listener: () => {
          throw new Error('listener broke');
        },
      },
    });
    const base = `http://127.0.0.1:${running.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(500);
    expect((await fetch(`${base}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(500);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(lines().map((l) => l.err)).toEqual(['registry broke', 'listener broke']);
  });

  it('refuses other methods with 405 and the Allow header, and unknown paths with 404', async () => {
    const { log } = capturedLog();
    running = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => null,
      log,
      slack: { path: '/slack/events', maxFutureSkewSeconds: 300, listener: (_q, s) => s.end('slack') },
    });
    const base = `http://127.0.0.1:${running.port}`;
    const get = await fetch(`${base}/slack/events`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect(await (await fetch(`${base}/slack/events`, { method: 'POST', body: 'x' })).text()).toBe('slack');
  });

  it('with a metrics port of its own, the public port serves Slack only', async () => {
    const { log } = capturedLog();
    running = await startHttpServer({
      port: 0,
      opsPort: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => null,
      log,
      slack: { path: '/slack/events', maxFutureSkewSeconds: 300, listener: (_q, s) => s.end('slack') },
    });
    expect(running.opsPort).not.toBe(running.port);
    const pub = `http://127.0.0.1:${running.port}`;
    const ops = `http://127.0.0.1:${running.opsPort}`;
    expect((await fetch(`${pub}/metrics`)).status).toBe(404);
    expect((await fetch(`${pub}/healthz`)).status).toBe(404);
    expect((await fetch(`${ops}/metrics`)).status).toBe(200);
    for (const probe of ['/healthz', '/readyz', '/livez'])
      expect((await fetch(`${ops}${probe}`)).status).toBe(200);
    expect((await fetch(`${ops}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(404);
  });
});

describe('log lines', () => {
  it("Bolt's lines name the role and the component once each", () => {
    const { log, raw } = capturedLog();
    const role = log.child({ role: 'serve' });
    boltLogger(role.child({ component: 'bolt' })).info('hello');
    const line = raw()[0]!;
    expect(line.match(/"component"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ role: 'serve', component: 'bolt', msg: 'hello' });
    expect(Object.keys(roleLogger('serve').bindings())).toEqual(['role']);
  });

  it('cuts WebSocket tickets, response URLs and tokens out of what Bolt logs', () => {
    const { log, raw } = capturedLog();
    const bolt = boltLogger(log);
    bolt.debug('Going to establish a new connection to Slack ...', {
      url: 'wss://wss-primary.slack.com/link/?ticket=7f3e-secret-ticket&app_id=A0001',
    });
    bolt.debug(
      'received',
      '{"payload":{"response_url":"https://hooks.slack.com/actions/T0001/123/SeCrEt","token":"xoxb-1-abc"}}',
    );
    bolt.debug('body: response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2FSeCrEt&text=help');
    bolt.debug(new Error('connect failed', { cause: new Error('ECONNREFUSED 127.0.0.1:443') }));
    const all = raw().join('');
    for (const secret of ['7f3e-secret-ticket', 'SeCrEt', 'xoxb-1-abc']) expect(all).not.toContain(secret);
    expect(all).toContain('ticket=[redacted]');
    expect(all).toContain('app_id=A0001');
    expect(all).toContain('connect failed: ECONNREFUSED 127.0.0.1:443');
  });

  it('leaves ordinary text alone', () => {
    const text = 'diagnose c-dql6k --since 30m (job 42) ticket booth';
    expect(redactSecrets(text)).toBe(text);
  });
});
