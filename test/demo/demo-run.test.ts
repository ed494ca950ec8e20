import { describe, expect, it } from '@jest/globals';
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisAnswers } from '../support/global-setup.js';
import { alive, collect, exitOf, spawnDemo, startedFrom, waitForOutput } from './demo-process.js';

// `rancher-doctor demo` as built (npm test builds it first), as a person or a script runs it.

/** Whether the demo's own redis-server still answers (a plain socket: no client left reconnecting). */
function redisAnswersAt(url: string): Promise<boolean> {
  return redisAnswers(Number(new URL(url).port));
}

describe('rancher-doctor demo --run', () => {
  it('prints the report with its buttons, exits 0, and leaves no process, folder or redis-server behind', async () => {
    const child = spawnDemo(['--run', '/rancher diagnose --watch 5s', '--port', '0']);
    const out = collect(child);
    const code = await exitOf(child);
    expect({ code, stderr: out.stderr }).toMatchObject({ code: 0 });

    // The report as the golden files show it: its headline, the looping node, its buttons.
    // The report's headline: where, which node, how fast.
    expect(out.stdout).toMatch(
      /^:rotating_light: \*prod-east\* .*machine-h46dc.* rewritten \*[\d,.]+ times a minute\*/m,
    );
    expect(out.stdout).toContain('machine-h46dc');
    expect(out.stdout).toMatch(/^\[Approve patch\]/m);
    expect(out.stdout).toMatch(/^\[Dismiss\]/m);
    // The command's own answer, to the one who typed it.
    expect(out.stdout).toMatch(/only visible to alice \(answer to \/rancher diagnose --watch 5s/);

    const started = startedFrom(out.stderr);
    expect(alive(started.servePid)).toBe(false);
    expect(existsSync(started.dir)).toBe(false);
    expect(await redisAnswersAt(started.redisUrl)).toBe(false);
  }, 120_000);

  it('with REDIS_URL, uses that Redis and deletes the keys under its prefix at the end', async () => {
    const url = 'redis://127.0.0.1:6379';
    const child = spawnDemo(['--run', '/rancher diagnose --watch 2s', '--port', '0'], { REDIS_URL: url });
    const out = collect(child);
    expect({ code: await exitOf(child), stderr: out.stderr }).toMatchObject({ code: 0 });
    expect(out.stderr).toContain('Redis at REDIS_URL');
    const { prefix, servePid } = startedFrom(out.stderr);
    expect(prefix).toMatch(/^demo-[0-9a-f]+$/);
    const redis = new Redis(url);
    try {
      expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(alive(servePid)).toBe(false);
  }, 120_000);

  it('says so and exits non-zero when the page port is taken', async () => {
    const first = spawnDemo(['--port', '0']);
    const firstOut = collect(first);
    try {
      const [, port] = await waitForOutput(
        first,
        firstOut,
        /The channel is at http:\/\/127\.0\.0\.1:(\d+)\//,
      );
      const second = spawnDemo(['--port', port!]);
      const secondOut = collect(second);
      expect(await exitOf(second)).toBe(1);
      // Said before anything is started.
      expect(secondOut.stderr).toBe(
        `demo: port ${port} on 127.0.0.1 is taken: choose another with --port (0 picks a free one)\n`,
      );
    } finally {
      first.kill('SIGTERM');
      await exitOf(first);
    }
    // SIGTERM, as Ctrl-C's SIGINT: everything it started is stopped and removed.
    const started = startedFrom(firstOut.stderr);
    expect(alive(started.servePid)).toBe(false);
    expect(existsSync(started.dir)).toBe(false);
    expect(await redisAnswersAt(started.redisUrl)).toBe(false);
  }, 120_000);
});

describe('rancher-doctor demo without Redis', () => {
  it('says in one line how to get one, and leaves nothing behind', async () => {
    // A PATH with what bin/rancher-doctor and serve need, and no redis-server.
    const bin = mkdtempSync(join(tmpdir(), 'rd-demo-path-'));
    try {
      for (const tool of ['dirname', 'readlink'])
        symlinkSync(execSync(`command -v ${tool}`, { shell: '/bin/sh' }).toString().trim(), join(bin, tool));
      symlinkSync(process.execPath, join(bin, 'node'));
      const child = spawnDemo(['--run', '/rancher help'], { PATH: bin });
      const out = collect(child);
      expect(await exitOf(child)).toBe(1);
      const said = out.stderr.split('\n').filter((l) => l.includes('Redis'));
      expect(said).toEqual([
        'demo: rancher-doctor demo needs Redis: set REDIS_URL to one that runs, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)',
      ]);
      const dir = /working folder (\S+)/.exec(out.stderr)![1]!;
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 60_000);
});
