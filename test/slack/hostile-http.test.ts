/**
 * `serve` in a process of its own, fed requests an attacker (or a broken proxy) could send to the
 * public URL: every method, odd paths, headers and bodies, cut and huge bodies, bad encodings, slow
 * senders, and signed requests with nonsense inside. None of them may end the process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { mulberry32 } from '../../scripts/prng.js';
import { startStandin, type Standin } from '../standin/index.js';
import { SlackApiStandin } from '../support/slack-api.js';
import {
  buttonClickBody,
  postToBot,
  signedHeaders,
  slackSignature,
  slashCommandBody,
} from '../support/slack-signer.js';
import { freePort } from '../support/free-port.js';
import { deleteKeys } from '../support/redis.js';

const SECRET = 'hostile-signing-secret';
const PREFIX = `t-hostile-${process.pid}`;
const SEED = 0x5eed10;
const REQUESTS = 320;
const PER_REQUEST_MS = 4000;

let standin: Standin;
let slack: SlackApiStandin;
let dir: string;
let child: ChildProcess;
let port: number;
let logs = '';

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  standin = await startStandin();
  slack = await new SlackApiStandin().start();
  dir = mkdtempSync(join(tmpdir(), 'rd-hostile-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
  port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: '',
    NODE_ENV: undefined,
    LOG_LEVEL: 'info',
    SLACK_BOT_TOKEN: 'xoxb-hostile',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    PORT: String(port),
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: PREFIX,
    KUBECONFIG: kubeconfig,
    RANCHER_URL: standin.url,
    RANCHER_TOKEN: standin.rancherToken,
    APPROVERS: 'U0ALICE',
  };
  // A process group of its own, so that whatever it starts is stopped with it.
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
  await waitFor('serve answers /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}\n${logs}`);
    return fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
  });
}, 60000);

afterAll(async () => {
  if (child.exitCode === null && child.pid) {
    process.kill(-child.pid, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  await deleteKeys(redis, `${PREFIX}*`);
  redis.disconnect();
  await slack.close();
  await standin.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What came back on the socket: the status line's code, or null when the server said nothing. */
interface RawOutcome {
  status: number | null;
  head: string;
}

/**
 * Writes raw bytes to the server, in pieces with pauses between them when asked (a slow sender),
 * and reads until the server answers and closes, or until the time is up.
 */
function rawRequest(pieces: (string | Buffer)[], pauseMs = 0, endSocket = true): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const received: Buffer[] = [];
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const head = Buffer.concat(received).toString('latin1').split('\r\n')[0] ?? '';
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, head });
    };
    const timer = setTimeout(done, PER_REQUEST_MS);
    socket.on('data', (c: Buffer) => {
      received.push(c);
      // One answer is all that is asked for; keep-alive would otherwise hold the socket open.
      if (Buffer.concat(received).includes('\r\n\r\n')) setTimeout(done, 20);
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (settled) return;
        socket.write(piece);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
      if (endSocket && !settled) socket.end();
    });
  });
}

function request(method: string, path: string, headers: Record<string, string>, body: Buffer | string = '') {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (!('Content-Length' in headers) && !('Transfer-Encoding' in headers) && bytes.length)
    lines.push(`Content-Length: ${bytes.length}`);
  return { head: lines.join('\r\n') + '\r\n\r\n', body: bytes };
}

function signed(body: string, contentType = 'application/x-www-form-urlencoded'): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': String(ts),
    'X-Slack-Signature': slackSignature(SECRET, ts, body),
  };
}

type Kind = (rand: () => number) => Promise<RawOutcome>;

const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'POST', 'PROPFIND', 'BREW'];
const PATHS = [
  '/slack/events',
  '/slack/events?ssl_check=1',
  '/slack/events/',
  '//slack/events',
  '/slack/events/../metrics',
  '/metrics',
  '/healthz',
  '/',
  '/%00%ff',
  '/slack/%E0%A4%A',
  `/${'a'.repeat(8000)}`,
  '*',
];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/x-www-form-urlencoded; charset=utf-16',
  'garbage/;;;',
];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function junk(rand: () => number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const KINDS: Record<string, Kind> = {
  'any method, any path': async (rand) => {
    const r = request(pick(rand, METHODS), pick(rand, PATHS), { 'Content-Type': pick(rand, CONTENT_TYPES) });
    return rawRequest([r.head]);
  },
  'a body of junk bytes': async (rand) => {
    const r = request(
      pick(rand, METHODS),
      '/slack/events',
      { 'Content-Type': pick(rand, CONTENT_TYPES) },
      junk(rand, 1 + Math.floor(rand() * 4096)),
    );
    return rawRequest([r.head, r.body]);
  },
  'a body cut short of its Content-Length': async (rand) => {
    const body = slashCommandBody({ text: 'help' });
    const r = request(
      'POST',
      '/slack/events',
      { ...signed(body), 'Content-Length': String(body.length + 500) },
      body,
    );
    return rawRequest([r.head, r.body.subarray(0, Math.floor(rand() * r.body.length))]);
  },
  'a body larger than any Slack request': async (rand) => {
    const size = (5 + Math.floor(rand() * 4)) * 1024 * 1024;
    const r = request('POST', '/slack/events', {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': String(size),
    });
    const chunk = Buffer.alloc(256 * 1024, 'a');
    return rawRequest([r.head, ...Array.from({ length: size / chunk.length }, () => chunk)]);
  },
  'bad encodings': async (rand) => {
    const body = pick(rand, [
      Buffer.from('text=%ZZ%&user_id=%E0%A4%A&command=%2F'),
      Buffer.from([0xff, 0xfe, 0x00, 0x74, 0x00, 0x65]),
      junk(rand, 64),
    ]);
    const headers = pick<Record<string, string>>(rand, [
      { 'Content-Encoding': 'gzip' },
      { 'Content-Encoding': 'br, deflate, x-unknown' },
      { 'Transfer-Encoding': 'chunked' },
      { 'Transfer-Encoding': 'chunked, gzip', 'Content-Length': '12' },
    ]);
    const r = request('POST', '/slack/events', { ...signed(body.toString('latin1')), ...headers }, body);
    return rawRequest([r.head, r.body, '\r\nZZ\r\nnot a chunk\r\n']);
  },
  'broken HTTP': async (rand) =>
    rawRequest([
      pick(rand, [
        'POST /slack/events HTTP/9.9\r\n\r\n',
        'GET\r\n\r\n',
        `POST /slack/events HTTP/1.1\r\nX-Big: ${'h'.repeat(70000)}\r\n\r\n`,
        'POST /slack/events HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
        'POST /slack/events HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\nhello',
        '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
        junk(rand, 300),
      ]),
    ]),
  'odd Slack headers': async (rand) => {
    const body = slashCommandBody({ text: 'help' });
    const headers = pick<Record<string, string>>(rand, [
      { 'X-Slack-Request-Timestamp': 'NaN', 'X-Slack-Signature': 'v0=00' },
      { 'X-Slack-Request-Timestamp': '99999999999999999999', 'X-Slack-Signature': 'v0=zz' },
      { 'X-Slack-Request-Timestamp': '-1', 'X-Slack-Signature': '' },
      {
        'X-Slack-Request-Timestamp': String(Math.floor(Date.now() / 1000)),
        'X-Slack-Signature': 'v1=' + 'f'.repeat(64),
      },
      { 'X-Slack-Signature': signed(body)['X-Slack-Signature']! },
    ]);
    const r = request(
      'POST',
      '/slack/events',
      { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body,
    );
    return rawRequest([r.head, r.body]);
  },
  'signed, with nonsense inside': async (rand) => {
    const [body, type] = pick(rand, [
      ['payload=not%20json', undefined],
      ['payload=%7B%7D', undefined],
      [`payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [{}] }))}`, undefined],
      [
        `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: {}, actions: [{ action_id: 'approve_patch', type: 'button' }] }))}`,
        undefined,
      ],
      [buttonClickBody({ actionId: 'approve_patch', value: 'x'.repeat(3000) }), undefined],
      [buttonClickBody({ actionId: 'dismiss', value: '../../etc/passwd' }), undefined],
      [slashCommandBody({ text: 'x'.repeat(6000) }), undefined],
      [slashCommandBody({ text: '\u0000\u202e<!channel> *bold* status' }), undefined],
      ['command=%2Francher', undefined],
      ['{"type":"event_callback","event":{"type":"app_mention"}}', 'application/json'],
      ['{"type":"url_verification","challenge":"c"}', 'application/json'],
      ['[1,2,3]', 'application/json'],
      ['{"type":', 'application/json'],
    ] as [string, string | undefined][]);
    const r = request('POST', '/slack/events', signed(body, type), body);
    return rawRequest([r.head, r.body]);
  },
  'a slow sender': async (rand) => {
    const body = slashCommandBody({ text: 'help' });
    const r = request('POST', '/slack/events', signed(body), body);
    const bytes = Buffer.concat([Buffer.from(r.head), r.body]);
    const cut = Math.floor(rand() * bytes.length);
    const pieces = Array.from({ length: 10 }, (_, i) => bytes.subarray((cut * i) / 10, (cut * (i + 1)) / 10));
    return rawRequest(pieces, 200, false);
  },
};

async function signedHelp(): Promise<{ status: number; text: string }> {
  const body = slashCommandBody({ text: 'help' });
  const res = await postToBot(`http://127.0.0.1:${port}/slack/events`, body, signedHeaders(SECRET, body));
  return { status: res.status, text: res.body };
}

describe('the public URL under hostile requests', () => {
  it.each(['GET', 'HEAD', 'PUT', 'OPTIONS', 'DELETE'])(
    '%s /slack/events: 405 Allow POST, and serve lives on',
    async (method) => {
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      await new Promise((r) => setTimeout(r, 200));
      expect(child.exitCode).toBeNull();
    },
  );

  it(`${REQUESTS} seeded requests of every kind: serve stays up, answers help, grows < 50 MB`, async () => {
    await signedHelp();
    const rssBefore = rssBytes(child.pid!);
    const rand = mulberry32(SEED);
    const kinds = Object.keys(KINDS);
    const seen: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const serverErrors = new Set<string>();
    let next = 0;
    // Ten at a time: the slow senders and the huge bodies then overlap the rest.
    const runners = Array.from({ length: 10 }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const kind = kinds[i % kinds.length]!;
        seen[kind] = (seen[kind] ?? 0) + 1;
        const outcome = await KINDS[kind]!(rand);
        const key = String(outcome.status ?? 'none');
        if (outcome.status === 500) serverErrors.add(kind);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    });
    await Promise.all(runners);
    expect(Object.values(seen).every((n) => n >= 30)).toBe(true);
    expect(child.exitCode).toBeNull();
    // Only a correctly signed request can reach a handler and fail there (500, logged with its cause).
    expect([...serverErrors]).toEqual(serverErrors.size ? ['signed, with nonsense inside'] : []);
    expect(statuses['200']).toBeGreaterThan(0);
    const help = await signedHelp();
    expect(help.status).toBe(200);
    expect(help.text).toContain('/rancher diagnose');
    const grewMb = (rssBytes(child.pid!) - rssBefore) / 1024 / 1024;
    expect(grewMb).toBeLessThan(50);
    expect(logs).not.toMatch(/uncaught|unhandled rejection|HTTPReceiverDeferredRequestError/i);
  }, 180000);
});
