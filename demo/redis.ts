import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { exited, freePort, spawnGroup, stopGroup } from './processes.js';

export const REDIS_MISSING =
  'rancher-doctor demo needs Redis: set REDIS_URL to one that runs, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)';

export interface DemoRedis {
  url: string;
  /** Where it came from, for the person running the demo. */
  origin: 'REDIS_URL' | 'started';
  /** Deletes the keys under `prefix`, then stops the redis-server the demo started, if it did. */
  close(prefix: string): Promise<void>;
}

function client(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

/** Whether a Redis answers PING at `url`. */
export async function answers(url: string): Promise<boolean> {
  const redis = client(url);
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = client(url);
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * The Redis the demo uses: REDIS_URL's when it answers; otherwise a redis-server from the PATH,
 * on a free port, keeping nothing on disk (its working folder is `dir`, the demo's own).
 */
export async function demoRedis(
  env: NodeJS.ProcessEnv,
  dir: string,
  onLog: (line: string) => void,
): Promise<DemoRedis> {
  const given = env.REDIS_URL;
  if (given && (await answers(given))) {
    return { url: given, origin: 'REDIS_URL', close: (prefix) => deleteKeys(given, prefix) };
  }
  if (given) onLog(`REDIS_URL (${redact(given)}) does not answer: starting a redis-server of its own`);
  const port = await freePort();
  const child = spawnGroup(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const failed = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), 50))]);
    if (failed)
      throw new Error((failed as NodeJS.ErrnoException).code === 'ENOENT' ? REDIS_MISSING : failed.message);
    if (child.exitCode !== null) break;
    if (await answers(url)) return started(url, child);
  }
  await stopGroup(child, 1000);
  throw new Error(`redis-server did not answer on ${url}`);
}

function started(url: string, child: ChildProcess): DemoRedis {
  return {
    url,
    origin: 'started',
    close: async () => {
      await stopGroup(child, 5000);
      await exited(child);
    },
  };
}

/** A Redis URL without its password, for a line a person reads. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
