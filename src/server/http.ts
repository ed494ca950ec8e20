import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /**
   * Answers /readyz (and /healthz, its older name): null when the process can do its work now
   * (Redis answering; Slack connected, in Socket Mode), else what is missing. /livez only says the
   * process answers, so that a Slack or Redis outage does not get it restarted.
   */
  ready: () => string | null;
  /** Slack's requests, when this process runs the HTTP receiver. */
  slack?: {
    path: string;
    listener: RequestListener;
    maxFutureSkewSeconds: number;
    /** Told when a Slack request arrives; what it returns is called once the request is answered. */
    requestStarted?: () => () => void;
  };
}

/**
 * One HTTP server per process: /livez, /readyz (/healthz), /metrics and, for the bot, Slack's request URL. Requests
 * stamped further in the future than allowed are refused here (Bolt refuses old ones itself), so a
 * captured request cannot be replayed later either way.
 */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void route(options, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function route(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/livez') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.method === 'GET' && (path === '/readyz' || path === '/healthz')) {
    const missing = options.ready();
    res
      .writeHead(missing ? 503 : 200, { 'content-type': 'text/plain' })
      .end(missing ? `${missing}\n` : 'ok\n');
    return;
  }
  if (req.method === 'GET' && path === '/metrics') {
    const body = await options.registry.metrics();
    res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
    return;
  }
  if (options.slack && path === options.slack.path) {
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(stamp) && stamp - Date.now() / 1000 > options.slack.maxFutureSkewSeconds) {
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain' }).end('request timestamp is in the future\n');
      return;
    }
    const answered = options.slack.requestStarted?.();
    if (answered) res.once('close', answered);
    options.slack.listener(req, res);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
