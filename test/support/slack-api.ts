import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as the stand-in received it; JSON-encoded arguments (blocks) are decoded. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

type Scripted = { status: 429; retryAfter: number } | { status: 'error'; error: string } | { status: 500 };

/**
 * A stand-in Slack Web API on 127.0.0.1, reached through SLACK_API_URL. It records every call,
 * answers like Slack for the methods the bot uses, and can be told to answer the next calls of a
 * method with 429 + Retry-After, an `ok: false` error, or a 500.
 */
export class SlackApiStandin {
  readonly calls: RecordedCall[] = [];
  private server: http.Server | null = null;
  private scripted = new Map<string, Scripted[]>();
  private tsCounter = 0;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
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
    this.calls.push({ method, args, at: Date.now() });

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
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: this.nextTs(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
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
