/**
 * Builds deploy/Dockerfile with buildah (Debian's package: no daemon) and runs the image. It runs
 * where it can (root, buildah, and `node:20-bookworm-slim` in buildah's store, since the build does
 * not pull: --pull=never) and says why it is skipped elsewhere; RD_IMAGE_TEST=0 skips it,
 * RD_IMAGE_TEST=1 runs it whatever the checks say. Where Docker Hub cannot be reached, a base standing in
 * for it can be made from Debian's mirror: `mmdebstrap --variant=minbase bookworm rootfs.tar`, then
 * `buildah from scratch`, add the rootfs, Node 20 in /usr/local/bin, a `node` user of uid 1000,
 * `buildah commit` as docker.io/library/node:20-bookworm-slim. Its size is not the real base's: what
 * this test measures is the layer the Dockerfile adds (/app).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { SlackApiStandin } from '../support/slack-api.js';
import { freePort } from '../support/free-port.js';
import { deleteKeys } from '../support/redis.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IMAGE = 'localhost/rancher-doctor:image-test';
const BASE = 'docker.io/library/node:20-bookworm-slim';

/** Why the image cannot be built here, or null when it can. */
function blocker(): string | null {
  if (process.env.RD_IMAGE_TEST === '1') return null;
  if (process.env.RD_IMAGE_TEST === '0') return 'RD_IMAGE_TEST=0';
  if (process.getuid?.() !== 0) return 'buildah builds as root here, and this is not root';
  try {
    execFileSync('buildah', ['inspect', '--type', 'image', BASE], { stdio: 'ignore' });
  } catch {
    return `buildah, or ${BASE} in its store, is not on this machine`;
  }
  return null;
}
const skipped = blocker();
if (skipped) console.warn(`the image build test is skipped: ${skipped}`);
const enabled = skipped === null;

async function buildah(...args: string[]): Promise<string> {
  const { stdout } = await run('buildah', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/** The processes under `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone since the listing
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

let container = '';
let mounted = '';

(enabled ? describe : describe.skip)('the image, built from deploy/Dockerfile with buildah', () => {
  beforeAll(async () => {
    await buildah(
      'bud',
      '--format',
      'docker',
      '--pull=never',
      '--network=host',
      '--isolation=chroot',
      '--ignorefile',
      'deploy/Dockerfile.dockerignore',
      '-f',
      'deploy/Dockerfile',
      '-t',
      IMAGE,
      '.',
    );
    container = await buildah('from', '--pull=never', IMAGE);
    mounted = await buildah('mount', container);
  }, 900_000);

  afterAll(async () => {
    if (container) {
      await buildah('umount', container).catch(() => undefined);
      await buildah('rm', container).catch(() => undefined);
    }
    await buildah('rmi', IMAGE).catch(() => undefined);
  });

  it('runs as uid 1000, keeps its HEALTHCHECK, and holds the built CLI with production dependencies only', async () => {
    const image = JSON.parse(await buildah('inspect', '--type', 'image', IMAGE)) as {
      Docker: { config: { User: string; Entrypoint: string[]; Healthcheck?: { Test: string[] } } };
    };
    expect(image.Docker.config.User).toBe('1000:1000');
    expect(image.Docker.config.Entrypoint).toEqual(['bin/rancher-doctor']);
    expect(image.Docker.config.Healthcheck?.Test.join(' ')).toContain('/livez');
    const modules = readdirSync(join(mounted, 'app', 'node_modules'));
    for (const tool of [
      'typescript',
      'jest',
      'esbuild',
      'assemblyscript',
      'eslint',
      'tsx',
      'kubernetes-models',
    ])
      expect(modules).not.toContain(tool);
    expect(readdirSync(join(mounted, 'app', 'dist')).sort()).toEqual(['bundle', 'src']);
    // The layer the Dockerfile adds, for the README's estimate (171 MB when written).
    const appMiB = bytesUnder(join(mounted, 'app')) / 2 ** 20;
    expect(appMiB).toBeLessThan(250);
    const { stdout } = await run('buildah', ['run', '--isolation', 'chroot', container, '--', 'id', '-u']);
    expect(stdout.trim()).toBe('1000');
  });

  it('serves /livez, its HEALTHCHECK passes, and SIGTERM stops it cleanly', async () => {
    const slack = await new SlackApiStandin().start();
    const [port, opsPort] = [await freePort(), await freePort()];
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-image',
      SLACK_SIGNING_SECRET: 'image-secret',
      SLACK_API_URL: slack.url,
      PORT: String(port),
      METRICS_PORT: String(opsPort),
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `t-image-${process.pid}`,
    };
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    let bot: ChildProcess | null = null;
    let output = '';
    try {
      bot = spawn(
        'buildah',
        ['run', '--isolation', 'chroot', ...envArgs, container, '--', 'bin/rancher-doctor', 'bot'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      bot.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      bot.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => bot!.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (
        !(await fetch(`http://127.0.0.1:${opsPort}/livez`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline) throw new Error(`the bot never served /livez:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const image = JSON.parse(await buildah('inspect', '--type', 'image', IMAGE)) as {
        Docker: { config: { Healthcheck: { Test: string[] } } };
      };
      const [, ...check] = image.Docker.config.Healthcheck.Test;
      await run('buildah', ['run', '--isolation', 'chroot', ...envArgs, container, '--', ...check]);
      // As the kubelet does: SIGTERM to the container's process (buildah run does not pass it on).
      const node = descendants(bot.pid!).find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.js'),
      );
      expect(node).toBeDefined();
      process.kill(node!, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('rancher-doctor stopped');
      expect(output).not.toContain('xoxb-image');
    } finally {
      if (bot && bot.exitCode === null) bot.kill('SIGKILL');
      await slack.close();
      const redis = new Redis('redis://127.0.0.1:6379');
      await deleteKeys(redis, `${env.QUEUE_PREFIX}:*`);
      redis.disconnect();
    }
  }, 120_000);
});
