// Loaded by jest before any test, outside its module mapping: keep this file free of local imports.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

/** True when something answers PING with +PONG on host:port within the timeout. */
export function redisAnswers(port = 6379, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function waitForRedis(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await redisAnswers(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

/**
 * Makes sure a Redis answers on 127.0.0.1:6379, as the tests expect: starts a daemonized
 * redis-server (keeping nothing on disk) when none does.
 */
export async function ensureDefaultRedis(): Promise<void> {
  if (await redisAnswers(6379)) return;
  const found = spawnSync('redis-server', ['--version']);
  if (found.error)
    throw new Error('no Redis on 127.0.0.1:6379 and no redis-server to start: apt-get install redis-server');
  const child = spawn(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  child.unref();
  await waitForRedis(6379);
}

export default async function globalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  await ensureDefaultRedis();
}
