import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { BOT_SETTING_NAMES, loadBotConfig } from '../../src/config/bot.js';

// No Docker engine runs on these machines: these checks are what can be verified without one.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const RANCHER_SETTINGS = [
  'KUBECONFIG',
  'KUBE_CONTEXT',
  'RANCHER_URL',
  'RANCHER_TOKEN',
  'RANCHER_INSECURE',
  'DOWNSTREAM_KUBECONFIG_DIR',
];
const KNOWN = new Set([...BOT_SETTING_NAMES, ...RANCHER_SETTINGS, 'KUBECONFIG_FILE']);

describe('Slack app manifest', () => {
  const manifest = parse(read('deploy/slack-app-manifest.yaml'));
  it('declares /rancher, the scopes the bot uses and interactivity on the same URL', () => {
    const command = manifest.features.slash_commands.find(
      (c: { command: string }) => c.command === '/rancher',
    );
    expect(command.url).toMatch(/\/slack\/events$/);
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        'commands',
        'chat:write',
        'files:write',
        'usergroups:read',
        'channels:history',
        'groups:history',
      ]),
    );
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: command.url });
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true });
  it('runs Redis with AOF and noeviction, a bot and a worker with a mounted kubeconfig', () => {
    const redis = compose.services.redis.command.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(compose.services.redis.volumes.length).toBeGreaterThan(0);
    for (const [name, role] of [
      ['bot', 'bot'],
      ['worker', 'worker'],
    ] as const) {
      const service = compose.services[name];
      expect(service.command).toEqual([role]);
      expect(service.build.dockerfile).toBe('deploy/Dockerfile');
      expect(existsSync(join(ROOT, service.build.context, service.build.dockerfile))).toBe(true);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      const mount = service.volumes.find((v: string) => v.includes(':/etc/rancher-doctor/kubeconfig:ro'));
      expect(mount).toBeDefined();
      expect(service.environment.KUBECONFIG).toBe('/etc/rancher-doctor/kubeconfig');
      expect(service.depends_on.redis.condition).toBe('service_healthy');
      for (const key of Object.keys(service.environment)) expect(KNOWN).toContain(key);
    }
    // Longer than the default shutdown grace (25 s), so SIGTERM can finish or hand back the job.
    expect(Number(compose.services.worker.stop_grace_period.replace('s', ''))).toBeGreaterThan(25);
  });

  it('the example .env names only known settings and is accepted by the config loader', () => {
    const env = Object.fromEntries(
      read('deploy/.env.example')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    for (const key of Object.keys(env)) expect(KNOWN).toContain(key);
    expect(() => loadBotConfig(env, 'serve')).not.toThrow();
  });

  it("the example .env points to documentation that exists: files, and the README's sections", () => {
    const comments = read('deploy/.env.example')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    const files = [...comments.matchAll(/\b([\w./-]+\.md)\b/g)].map((m) => m[1]!);
    expect(files).toContain('README.md');
    for (const f of files) expect(existsSync(join(ROOT, f))).toBe(true);
    const headings = read('README.md')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .map((l) => l.replace(/^#+\s*/, ''));
    const sections = [...comments.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    expect(sections).toEqual(expect.arrayContaining(['Slack', 'Configuration']));
    for (const s of sections) expect(headings).toContain(s);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  it('is multi-stage and runs the built CLI as the non-root node user (uid 1000, which runAsNonRoot can check)', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const finalStage = lines.slice(lines.lastIndexOf(froms.at(-1)!));
    expect(finalStage).toContain('USER 1000:1000');
    expect(finalStage.find((l) => l.includes('CMD ["node"'))).toContain("'/livez'");
    expect(finalStage.some((l) => /^USER (root|0)\b/.test(l))).toBe(false);
    expect(finalStage.some((l) => l.startsWith('RUN npm') || l.includes('tsc'))).toBe(false);
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(dockerfile).toContain(`"${pkg.bin['rancher-doctor']}"`);
  });
  it('has a HEALTHCHECK, and the runtime copies node_modules only after the build stage pruned the dev dependencies', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    const finalAt = lines.lastIndexOf(froms.at(-1)!);
    const build = lines.slice(0, finalAt);
    const finalStage = lines.slice(finalAt);
    expect(finalStage.some((l) => l.startsWith('HEALTHCHECK '))).toBe(true);
    expect(build.some((l) => /^RUN .*npm prune --omit=dev/.test(l))).toBe(true);
    expect(finalStage).toContainEqual(expect.stringMatching(/^COPY --from=build .*\/app\/node_modules /));
    // Nothing of the checkout but the built CLI, its launcher and the package's manifest.
    const copied = finalStage.filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).at(-1));
    expect(copied.sort()).toEqual(['./bin', './dist', './node_modules', './package.json']);
  });
  it('builds from a context that holds every file it copies (deploy/Dockerfile.dockerignore)', () => {
    // BuildKit's rules, as far as this file uses them: the last pattern matching a path decides.
    const rules = read('deploy/Dockerfile.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const include = l.startsWith('!');
        const glob = include ? l.slice(1) : l;
        const source = glob
          .split('**')
          .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('.*');
        return { include, pattern: new RegExp(`^${source}$`) };
      });
    const inContext = (path: string) =>
      rules.reduce((kept, r) => (r.pattern.test(path) ? r.include : kept), true);
    const sources = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+(--\S+\s+)*/, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      const files = statSync(join(ROOT, source)).isDirectory()
        ? readdirSync(join(ROOT, source), { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => relative(ROOT, join(e.parentPath, e.name)))
        : [source];
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((f) => !inContext(f))).toEqual([]);
    }
    // What the build must not see: the tests, the demo, the stand-ins.
    for (const outside of ['test/standin/server.ts', 'demo/main.ts', 'node_modules/x/index.js'])
      expect(inContext(outside)).toBe(false);
  });
  it('copies only files that exist', () => {
    for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line
        .replace(/^COPY\s+(--\S+\s+)*/, '')
        .split(/\s+/)
        .slice(0, -1);
      for (const s of sources) expect(existsSync(join(ROOT, s))).toBe(true);
    }
  });
});
