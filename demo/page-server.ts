import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { USERS } from './bot-link.js';
import type { RunningDemo } from './demo.js';

const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/mrkdwn.js': 'mrkdwn.js',
  '/style.css': 'style.css',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const commandSchema = z.object({ user: z.string(), text: z.string().max(4000) });
const clickSchema = z.object({
  user: z.string(),
  message: z.string(),
  block: z.string(),
  action: z.string(),
});

/** The nodes of the stand-in's Rancher, with the loop's writes: the page shows whether the loop goes on. */
interface NodeState {
  cluster: string;
  node: string;
  looping: boolean;
  writes: number;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export class PortTakenError extends Error {}

/**
 * The page that plays the channel: its files from demo/page, the channel's state as JSON and as
 * server-sent events (one event with the whole state at each change), and the two things a person
 * does there, a command and a click, handed to the bot as Slack would.
 */
export async function startPageServer(
  demo: RunningDemo,
  pageDir: string,
  server: http.Server,
): Promise<PageServer> {
  const clients = new Set<http.ServerResponse>();
  let nodes: NodeState[] = readNodes(demo);
  const state = () =>
    JSON.stringify({
      channel: { id: demo.channel.id, name: 'ops-demo' },
      users: USERS,
      messages: demo.channel.messages.filter((m) => !m.deleted),
      nodes,
    });
  const broadcast = () => {
    const data = `event: state\ndata: ${state()}\n\n`;
    for (const res of clients) res.write(data);
  };
  // Several changes in one turn of the event loop (an update and its thread reply) go out as one event.
  let pending = false;
  const unsubscribe = demo.channel.onChange(() => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      broadcast();
    });
  });
  const watchNodes = setInterval(() => {
    const now = readNodes(demo);
    if (JSON.stringify(now) === JSON.stringify(nodes)) return;
    nodes = now;
    broadcast();
  }, 1000);
  // A comment line keeps idle connections open through proxies and tells the page the demo runs.
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': alive\n\n');
  }, 15000);

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://page');
    if (req.method === 'GET' && STATIC[url.pathname]) {
      const file = STATIC[url.pathname]!;
      const body = await readFile(path.join(pageDir, file));
      res
        .writeHead(200, { 'content-type': TYPES[path.extname(file)]!, 'cache-control': 'no-store' })
        .end(body);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(state());
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`event: state\ndata: ${state()}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/command') {
      const input = commandSchema.safeParse(await body(req));
      if (!input.success) return json(res, 400, { error: 'expected { user, text }' });
      const sent = await demo.link.command(input.data.user, input.data.text);
      return json(res, 200, { status: sent.status });
    }
    if (req.method === 'POST' && url.pathname === '/click') {
      const input = clickSchema.safeParse(await body(req));
      if (!input.success) return json(res, 400, { error: 'expected { user, message, block, action }' });
      const { user, message, block, action } = input.data;
      return json(res, 200, { status: await demo.link.click(user, message, block, action) });
    }
    json(res, 404, { error: 'not found' });
  }

  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: async () => {
      unsubscribe();
      clearInterval(watchNodes);
      clearInterval(keepAlive);
      for (const res of clients) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The page's port, taken before anything else starts: a port in use is said at once. Requests
 * wait for startPageServer to answer them.
 */
export async function listenPage(port: number): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new PortTakenError(
              `port ${port} on 127.0.0.1 is taken: choose another with --port (0 picks a free one)`,
            )
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function readNodes(demo: RunningDemo): NodeState[] {
  return demo.standin.list('local', '/apis/management.cattle.io/v3/nodes').map((n) => {
    const cluster = n.metadata.namespace ?? '';
    const node = n.metadata.name;
    return {
      cluster,
      node,
      looping: demo.standin.loop.isLooping(cluster, node),
      writes: demo.standin.loop.writes(cluster, node),
    };
  });
}

async function body(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new Error('request too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
