import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Slack's requests are answered within 3 s; a sender slower than this is cut off. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;

export interface HttpServerOptions {
  port: number;
  /**
   * Port of /metrics and the health endpoints; null or equal to `port`: served on `port`. 0, like
   * `port` 0, is a free port of its own.
   */
  opsPort?: number | null;
  host?: string;
  registry: Registry;
  /**
   * Answers /readyz (and /healthz, its older name): null when the process can do its work now
   * (Redis answering; Slack connected, in Socket Mode), else what is missing. /livez only says the
   * process answers, so that a Slack or Redis outage does not get it restarted.
   */
  ready: () => string | null;
  log: Logger;
  /** Told of each request refused: a bad Slack signature (401), a timestamp ahead, a method (405). */
  refused?: (reason: 'signature' | 'timestamp' | 'method') => void;
  /** Slack's requests, when this process runs the HTTP receiver. */
  slack?: {
    path: string;
    listener: RequestListener;
    maxFutureSkewSeconds: number;
    /** Told when a Slack request arrives; what it returns is called once the request is answered. */
    requestStarted?: () => () => void;
  };
  /**
   * Routes for callers inside the cluster (Alertmanager's webhook): served beside /metrics, and
   * never on a port that serves Slack, which faces the internet.
   */
  internal?: { path: string; route: Route }[];
}

export interface RunningHttpServer {
  port: number;
  /** Where /metrics and the health endpoints are served (the same as `port` unless split). */
  opsPort: number;
  close(): Promise<void>;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * The process's HTTP servers: Slack's request URL for the bot, /livez, /readyz (/healthz) and
 * /metrics; on one port, or the operations endpoints on a port of their own so that they need not
 * face the internet. Requests stamped further in the future than allowed are refused here (Bolt
 * refuses old ones itself), so a captured request cannot be replayed later.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const split = options.opsPort != null && (options.opsPort === 0 || options.opsPort !== options.port);
  const ops = opsRoutes(options);
  const slack = options.slack ? slackRoute(options.slack, options.refused) : null;
  const internal = (options.internal ?? []).map(({ path, route }) => [path, route] as const);
  const publicRoutes = new Map<string, Route>(split ? [] : [...ops, ...(slack ? [] : internal)]);
  for (const [path, route] of internal) ops.set(path, route);
  if (slack && options.slack) publicRoutes.set(options.slack.path, slack);
  const servers = [await listen(options, options.port, publicRoutes)];
  if (split) servers.push(await listen(options, options.opsPort!, ops));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  return {
    port: ports[0]!,
    opsPort: ports[1] ?? ports[0]!,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections();
            }),
        ),
      );
    },
  };
}

async function listen(
  options: HttpServerOptions,
  port: number,
  routes: Map<string, Route>,
): Promise<http.Server> {
  const server = http.createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS },
    (req, res) => {
      if (options.refused) res.once('finish', () => res.statusCode === 405 && options.refused?.('method'));
      // Whatever a handler does, a request never takes the process down: it is logged and answered 500.
      void dispatch(routes, req, res).catch((err: unknown) => {
        options.log.error(
          { err: err instanceof Error ? err.message : String(err), method: req.method, path: pathOf(req) },
          'HTTP request failed',
        );
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
        else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '0.0.0.0', () => resolve());
  });
  return server;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!;
}

async function dispatch(
  routes: Map<string, Route>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const route = routes.get(pathOf(req));
  if (!route) {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  await route(req, res);
}

/** Answers 405 to any method but `allowed`, draining what was sent. */
function only(allowed: string[], route: Route): Route {
  return (req, res) => {
    if (allowed.includes(req.method ?? '')) return route(req, res);
    req.resume();
    res
      .writeHead(405, { allow: allowed.join(', '), 'content-type': 'text/plain' })
      .end('method not allowed\n');
  };
}

const TEXT = { 'content-type': 'text/plain' };

function opsRoutes(options: HttpServerOptions): Map<string, Route> {
  const readiness = only(['GET', 'HEAD'], (_req, res) => {
    const missing = options.ready();
    res.writeHead(missing ? 503 : 200, TEXT).end(missing ? `${missing}\n` : 'ok\n');
  });
  return new Map<string, Route>([
    ['/livez', only(['GET', 'HEAD'], (_req, res) => void res.writeHead(200, TEXT).end('ok\n'))],
    ['/readyz', readiness],
    ['/healthz', readiness],
    [
      '/metrics',
      only(['GET', 'HEAD'], async (_req, res) => {
        const body = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
      }),
    ],
  ]);
}

function slackRoute(
  slack: NonNullable<HttpServerOptions['slack']>,
  refused: HttpServerOptions['refused'],
): Route {
  // Bolt's receiver throws, out of the server, on anything but a POST to its path.
  return only(['POST'], (req, res) => {
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(stamp) && stamp - Date.now() / 1000 > slack.maxFutureSkewSeconds) {
      req.resume();
      refused?.('timestamp');
      res.writeHead(401, { 'content-type': 'text/plain' }).end('request timestamp is in the future\n');
      return;
    }
    // Bolt's receiver answers 401 to a signature that does not match, or a request too old.
    if (refused) res.once('finish', () => res.statusCode === 401 && refused('signature'));
    const answered = slack.requestStarted?.();
    if (answered) res.once('close', answered);
    slack.listener(req, res);
  });
}
