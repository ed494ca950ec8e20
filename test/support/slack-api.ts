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
  /** What the stand-in answered, when it answered as Slack does (not a scripted failure). */
  answer?: Record<string, unknown>;
}

type Scripted = { status: 429; retryAfter: number } | { status: 'error'; error: string } | { status: 500 };

/** What became of one envelope: acked on the connection that carried it, or lost as Slack loses it. */
export type Delivery =
  | { outcome: 'acked'; connection: number; payload: Record<string, unknown> }
  | { outcome: 'dispatch_failed'; reason: 'no connection' | 'no ack'; connection: number | null };

export interface SlackApiStandinOptions {
  /** Slack counts an envelope with no ack after this long as failed (`dispatch_failed`). */
  ackTimeoutMs?: number;
  /** After sending `disconnect` to a connection, Slack closes it this much later. */
  closeAfterDisconnectMs?: number;
  /** Told of each call once it is answered (the demo's channel page follows the bot this way). */
  onCall?: (call: RecordedCall) => void;
}

interface SocketConnection {
  id: number;
  ws: WebSocket;
  /** Slack delivers to it: open and not sent `disconnect`. */
  deliverable: boolean;
  awaiting: Map<string, (payload: Record<string, unknown>) => void>;
}

/** What an upload URL received: the file's size, its text, and its bytes in base64 (a PNG). */
async function uploadedFile(contentType: string, raw: Buffer): Promise<Record<string, unknown>> {
  let bytes = raw;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const file = [...form.values()].find((v) => typeof v !== 'string');
    if (file && typeof file !== 'string') bytes = Buffer.from(await file.arrayBuffer());
  }
  return { bytes: bytes.length, content: bytes.toString('utf8'), base64: bytes.toString('base64') };
}

/**
 * A stand-in Slack Web API on 127.0.0.1, reached through SLACK_API_URL. It records every call,
 * answers like Slack for the methods the bot uses, and can be told to answer the next calls of a
 * method with 429 + Retry-After, an `ok: false` error, or a 500.
 *
 * Socket Mode, as Slack behaves: `apps.connections.open` answers a ws://127.0.0.1 URL with a
 * ticket on the same port; each connection gets `hello`; `deliver()` sends an envelope over one
 * open connection (in turn) and waits for its ack on that same connection, counting it lost
 * (`dispatch_failed`) after `ackTimeoutMs`. `requestRefresh()` sends `disconnect`
 * (`refresh_requested`): nothing more is delivered there, acks are still taken, and the stand-in
 * closes it `closeAfterDisconnectMs` later. `dropConnection()` cuts one without a close frame;
 * `setDown()` is an outage; `revokeAppToken()` closes every connection and refuses the token after.
 */
export class SlackApiStandin {
  readonly calls: RecordedCall[] = [];
  /** JSON frames received from Socket Mode clients (acks carry `envelope_id` and `payload`). */
  readonly socketMessages: Record<string, unknown>[] = [];
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private connections: SocketConnection[] = [];
  private connectionCounter = 0;
  private nextTarget = 0;
  private lastDelivered: SocketConnection | null = null;
  private timers = new Set<NodeJS.Timeout>();
  private scripted = new Map<string, Scripted[]>();
  private tsCounter = 0;
  /** Each channel's root messages, oldest first, as `conversations.history` gives them back. */
  private readonly history = new Map<string, Record<string, unknown>[]>();
  private down = false;
  private appTokenRevoked = false;
  private readonly ackTimeoutMs: number;
  private readonly closeAfterDisconnectMs: number;
  private readonly onCall: (call: RecordedCall) => void;
  url = '';

  constructor(options: SlackApiStandinOptions = {}) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    this.closeAfterDisconnectMs = options.closeAfterDisconnectMs ?? 10000;
    this.onCall = options.onCall ?? (() => {});
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/link/') || this.down || this.appTokenRevoked) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** Connections Slack would deliver to now. */
  deliverableConnections(): number {
    return this.connections.filter((c) => c.deliverable).length;
  }

  /**
   * Sends an envelope over one open connection; `connection` says which (null: none was open).
   * `outcome` settles once the app acked it there, or it is lost.
   */
  deliver(envelope: { envelope_id: string } & Record<string, unknown>): {
    connection: number | null;
    outcome: Promise<Delivery>;
  } {
    const open = this.connections.filter((c) => c.deliverable);
    if (open.length === 0) {
      return {
        connection: null,
        outcome: Promise.resolve({ outcome: 'dispatch_failed', reason: 'no connection', connection: null }),
      };
    }
    const target = open[this.nextTarget++ % open.length]!;
    this.lastDelivered = target;
    const outcome = new Promise<Delivery>((resolve) => {
      const timer = this.after(this.ackTimeoutMs, () => {
        target.awaiting.delete(envelope.envelope_id);
        resolve({ outcome: 'dispatch_failed', reason: 'no ack', connection: target.id });
      });
      target.awaiting.set(envelope.envelope_id, (payload) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve({ outcome: 'acked', connection: target.id, payload });
      });
    });
    target.ws.send(JSON.stringify(envelope));
    return { connection: target.id, outcome };
  }

  /** Slack's `disconnect` (`refresh_requested`) to one connection (default: the last one delivered to). */
  requestRefresh(connectionId?: number): void {
    const target =
      connectionId === undefined
        ? (this.lastDelivered ?? this.connections.find((c) => c.deliverable))
        : this.connections.find((c) => c.id === connectionId);
    if (!target) throw new Error('no connection to refresh');
    target.deliverable = false;
    target.ws.send(
      JSON.stringify({
        type: 'disconnect',
        reason: 'refresh_requested',
        debug_info: { host: 'standin' },
      }),
    );
    this.after(this.closeAfterDisconnectMs, () => target.ws.close(1000));
  }

  /** Cuts a connection (default: the last one delivered to) with no close frame, as a network would. */
  dropConnection(connectionId?: number): number {
    const target =
      connectionId === undefined
        ? (this.lastDelivered ?? this.connections[0])
        : this.connections.find((c) => c.id === connectionId);
    if (!target) throw new Error('no connection to drop');
    target.deliverable = false;
    target.ws.terminate();
    return target.id;
  }

  /** An outage: connections cut, apps.connections.open answers 503, until `setDown(false)`. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const c of this.connections) this.dropConnection(c.id);
  }

  /** The app-level token is revoked: its connections are closed, and it is refused from now on. */
  revokeAppToken(): void {
    this.appTokenRevoked = true;
    for (const c of this.connections) {
      c.deliverable = false;
      c.ws.close(1000);
    }
  }

  private after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private accept(ws: WebSocket): void {
    const connection: SocketConnection = {
      id: ++this.connectionCounter,
      ws,
      deliverable: true,
      awaiting: new Map(),
    };
    this.connections.push(connection);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        frame = { unparsable: String(data) };
      }
      this.socketMessages.push({ ...frame, connection: connection.id });
      // An ack counts only on the connection that carried the envelope.
      const id = frame.envelope_id;
      if (typeof id === 'string') {
        const settle = connection.awaiting.get(id);
        connection.awaiting.delete(id);
        settle?.((frame.payload ?? {}) as Record<string, unknown>);
      }
    });
    ws.on('close', () => {
      connection.deliverable = false;
      this.connections = this.connections.filter((c) => c !== connection);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.deliverableConnections(),
        debug_info: { host: 'standin', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0001' },
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const timer of this.timers) clearTimeout(timer);
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

  /** Forgets the scripted answers of `method` not yet given. */
  unscript(method: string): void {
    this.scripted.delete(method);
  }

  /** A response_url for a signed click or command: what the bot POSTs there is recorded as `response_url`. */
  responseUrl(id: string): string {
    return `${this.url.replace(/\/api\/$/, '')}/response/${id}`;
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves when `predicate` holds for the recorded calls, or rejects after timeoutMs. */
  /** What the bot POSTed to responseUrl(id), once it has POSTed there at least once. */
  async answersAt(id: string, timeoutMs = 10000): Promise<RecordedCall[]> {
    const path = `/response/${id}`;
    await this.waitFor(
      (calls) => calls.some((c) => c.args.path === path),
      timeoutMs,
      `a response_url answer ${id}`,
    );
    return this.callsOf('response_url').filter((c) => c.args.path === path);
  }

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
    // Clicks' response_url POSTs (see responseUrl) are recorded as the method `response_url`.
    const method = url.pathname.startsWith('/response/')
      ? 'response_url'
      : url.pathname.replace(/^\/api\//, '');
    // A file's bytes go to its upload URL as they are, whatever content type the client names, or
    // as the one part of a multipart form (the SDK sends binary files so).
    const args = url.pathname.startsWith('/upload/')
      ? await uploadedFile(req.headers['content-type'] ?? '', raw)
      : this.decode(req.headers['content-type'] ?? '', raw);
    const authorization = req.headers.authorization;
    if (method === 'response_url') args.path = url.pathname;
    const call: RecordedCall = { method, args, at: Date.now(), ...(authorization ? { authorization } : {}) };
    this.calls.push(call);
    res.once('finish', () => this.onCall(call));

    if (method === 'apps.connections.open' && this.down) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
      return;
    }
    if (method === 'apps.connections.open' && this.appTokenRevoked)
      return this.json(res, { ok: false, error: 'invalid_auth' });
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
    call.answer = this.answer(method, args, url);
    this.json(res, call.answer);
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
      case 'chat.postMessage': {
        const ts = this.nextTs();
        if (args.thread_ts === undefined) {
          const channel = String(args.channel);
          const metadata = typeof args.metadata === 'string' ? JSON.parse(args.metadata) : args.metadata;
          const message = { type: 'message', bot_id: 'B0BOT', text: args.text, ts, metadata };
          this.history.set(channel, [...(this.history.get(channel) ?? []), message]);
        }
        return { ok: true, channel: args.channel, ts, message: { text: args.text } };
      }
      case 'conversations.history':
        return this.historyPage(args);
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'response_url':
        return { ok: true };
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

  /**
   * As Slack pages a channel's history: newest first, `limit` at a time (100 unless asked), an
   * opaque `next_cursor` while there is more; message metadata only with `include_all_metadata`.
   */
  private historyPage(args: Record<string, unknown>): Record<string, unknown> {
    const all = [...(this.history.get(String(args.channel)) ?? [])].reverse();
    const from = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64').toString().slice(5)) : 0;
    const limit = Number(args.limit ?? 100);
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    const messages = all
      .slice(from, from + limit)
      .map(({ metadata, ...m }) => (withMetadata && metadata ? { ...m, metadata } : m));
    const more = from + limit < all.length;
    return {
      ok: true,
      messages,
      has_more: more,
      response_metadata: { next_cursor: more ? Buffer.from(`next:${from + limit}`).toString('base64') : '' },
    };
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

/** A slash command as Slack delivers it over Socket Mode. */
export function slashEnvelope(envelopeId: string, text: string) {
  return {
    envelope_id: envelopeId,
    type: 'slash_commands',
    accepts_response_payload: true,
    payload: {
      token: 'deprecated-verification-token',
      team_id: 'T0001',
      team_domain: 'example',
      channel_id: 'C0OPS',
      channel_name: 'ops',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/rancher',
      text,
      api_app_id: 'A0001',
      is_enterprise_install: 'false',
      response_url: 'http://127.0.0.1:9/unused',
      trigger_id: '1.2.3',
    },
  };
}
