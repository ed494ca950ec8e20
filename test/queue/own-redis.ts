import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { redisAnswers, waitForRedis } from '../support/redis.js';

/**
 * A redis-server of the test's own, persisted as in production (AOF, fsync always) in a temp
 * directory, that the test can restart on the same port and directory.
 */
export class OwnRedis {
  private process: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'rd-redis-'));
  port = 0;

  /** The running server's process id (to pause it with SIGSTOP, say); null when stopped. */
  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    this.process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    await waitForRedis(this.port, 10000);
    return this;
  }

  /** SIGTERM: Redis shuts down cleanly (as `SHUTDOWN` does) and the test waits until it is gone. */
  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
    this.process = null;
    while (await redisAnswers(this.port)) await new Promise((r) => setTimeout(r, 50));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
