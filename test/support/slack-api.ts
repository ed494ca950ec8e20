import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One Web API call as the stand-in received it; JSON-encoded arguments (blocks) are decoded. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** The Authorization header (the bot token for Web API calls, the app token for apps.connections.open). */
  authorization?: string;
}

type Scripted = { status: 429; retryAfter: number } | { status: 'error'; error: string } | { status: 500 };

/**
 * A stand-in Slack Web API on 127.0.0.1, reached through SLACK_API_URL. It records every call,
 * answers like Slack for the methods the bot uses, and can be told to answer the next calls of a
 * method with 429 + Retry-After, an `ok: false` error, or a 500.
 *
 * Socket Mode: `apps.connections.open` answers a ws://127.0.0.1 URL on the same port; the test
 * takes each connection with `nextSocket()`, sends Slack's frames itself (hello, envelopes) and
 * reads what the app sent back in `socketMessages`.
 */
export class SlackApiStandin {
  readonly calls: RecordedCall[] = [];
  /** JSON frames received from Socket Mode clients (acks carry `envelope_id` and `payload`). */
  readonly socketMessages: Record<string, unknown>[] = [];
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private sockets: WebSocket[] = [];
  private socketWaiters: ((ws: WebSocket) => void)[] = [];
  private scripted = new Map<string, Scripted[]>();
  private tsCounter = 0;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/link/')) {
        socket.destroy();
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** The next Socket Mode connection (one already made and not yet taken, or the coming one). */
  nextSocket(timeoutMs = 10000): Promise<WebSocket> {
    const ready = this.sockets.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Socket Mode connection came')), timeoutMs);
      this.socketWaiters.push((ws) => {
        clearTimeout(timer);
        resolve(ws);
      });
    });
  }

  /** Resolves with the first frame from the app that `predicate` accepts. */
  async waitForSocketMessage(
    predicate: (m: Record<string, unknown>) => boolean,
    timeoutMs = 10000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.socketMessages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('timed out waiting for a Socket Mode frame from the app');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private accept(ws: WebSocket): void {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.socketMessages.push(JSON.parse(String(data)) as Record<string, unknown>);
      } catch {
        this.socketMessages.push({ unparsable: String(data) });
      }
    });
    const waiter = this.socketWaiters.shift();
    if (waiter) waiter(ws);
    else this.sockets.push(ws);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The next `times` calls of `method` get this answer instead of the normal one. */
  script(method: string, answer: Scripted, times = 1): void {
    const list = this.scripted.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(answer);
    this.scripted.set(method, list);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves when `predicate` holds for the recorded calls, or rejects after timeoutMs. */
  async waitFor(
    predicate: (calls: RecordedCall[]) => boolean,
    timeoutMs = 20000,
    what = 'Slack calls',
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const method = url.pathname.replace(/^\/api\//, '');
    const args = this.decode(req.headers['content-type'] ?? '', raw);
    const authorization = req.headers.authorization;
    this.calls.push({ method, args, at: Date.now(), ...(authorization ? { authorization } : {}) });

    const next = this.scripted.get(method)?.shift();
    if (next?.status === 429) {
      res.writeHead(429, { 'retry-after': String(next.retryAfter), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (next?.status === 500) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    if (next?.status === 'error') return this.json(res, { ok: false, error: next.error });
    this.json(res, this.answer(method, args, url));
  }

  private answer(method: string, args: Record<string, unknown>, url: URL): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://example.slack.com/',
          team: 'Example',
          user: 'rancher-doctor',
          team_id: 'T0001',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'apps.connections.open':
        return {
          ok: true,
          url: `${this.url.replace(/^http/, 'ws').replace(/\/api\/$/, '')}/link/?ticket=t${++this.tsCounter}`,
        };
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: this.nextTs(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.getPermalink':
        // As Slack answers: the workspace's domain, the channel, and the ts without its dot.
        return {
          ok: true,
          channel: args.channel,
          permalink: `https://example.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'usergroups.users.list':
        return { ok: true, users: args.usergroup === 'S0APPROVE' ? ['U0BOB'] : [] };
      case 'files.getUploadURLExternal':
        return {
          ok: true,
          upload_url: `${this.url.replace(/\/api\/$/, '')}/upload/${String(args.filename)}`,
          file_id: `F${++this.tsCounter}`,
        };
      case 'files.completeUploadExternal':
        return { ok: true, files: JSON.parse(String(args.files ?? '[]')) };
      default:
        if (url.pathname.startsWith('/upload/')) return { ok: true };
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    this.tsCounter++;
    return `1700000000.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private decode(contentType: string, raw: Buffer): Record<string, unknown> {
    const text = raw.toString('utf8');
    if (contentType.includes('application/json'))
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (contentType.includes('application/x-www-form-urlencoded')) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of new URLSearchParams(text)) {
        out[k] = (k === 'blocks' || k === 'attachments') && v.startsWith('[') ? JSON.parse(v) : v;
      }
      return out;
    }
    return { bytes: raw.length };
  }

  private json(res: http.ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

/** All text in a message's blocks, for assertions that do not depend on layout. */
export function blocksText(blocks: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(blocks);
  return out.join('\n');
}
