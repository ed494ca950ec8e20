import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { runCliInProcess, runCliProcess } from './support/cli.js';
import { SERVICE_ACCOUNT_TOKEN } from '../src/rancher/kubeconfig.js';
import { parseDuration } from '../src/cli/diagnose.js';
import type { DiagnosisReport } from '../src/diagnosis/types.js';
import { startGround, type Ground } from './diagnosis/support.js';

const cli = runCliInProcess;

let ground: Ground;
const saved = { RANCHER_URL: process.env.RANCHER_URL, RANCHER_TOKEN: process.env.RANCHER_TOKEN };

beforeAll(async () => {
  ground = await startGround();
  process.env.RANCHER_URL = ground.standin.url;
  process.env.RANCHER_TOKEN = ground.standin.rancherToken;
});
afterAll(async () => {
  await ground.close();
  process.env.RANCHER_URL = saved.RANCHER_URL;
  process.env.RANCHER_TOKEN = saved.RANCHER_TOKEN;
});
afterEach(() => {
  process.exitCode = undefined;
});

describe('rancher-doctor diagnose', () => {
  it('exits 1 with a report a person can act on, and progress on stderr', async () => {
    const r = await cli(['diagnose', '--kubeconfig', ground.kubeconfig, '--watch', '0', '--since', '30m']);
    expect(r.code).toBe(1);
    // The stages in the words of the Slack message, and one finding is "1 finding".
    expect(r.stderr).toContain('Reading node objects — ');
    expect(r.stderr).toMatch(/^Done — 1 finding, 0 problems$/m);
    expect(r.stdout).toContain('prod-east (c-dql6k)');
    expect(r.stdout).toContain('machine-h46dc');
    expect(r.stdout).toContain('Patch the node object (complete)');
    expect(r.stdout).toContain(
      'kubectl patch nodes.management.cattle.io -n c-dql6k machine-h46dc --type merge',
    );
    expect(r.stdout).toContain('+  rkeNode:');
    expect(r.stdout).toMatch(/Drain and remove the node \S+ from c-dql6k/);
    expect(r.stdout).toContain('kubectl drain');
    expect(r.stdout).toContain('rancher/rancher-agent');
  });

  it('--json prints the DiagnosisReport', async () => {
    const r = await cli([
      'diagnose',
      '--kubeconfig',
      ground.kubeconfig,
      '--watch',
      '0',
      '--json',
      '--cluster',
      'prod-east',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DiagnosisReport;
    expect(report.scope.clusterId).toBe('c-dql6k');
    expect(report.findings[0]?.id).toBe('c-dql6k/machine-h46dc');
  });

  it('an unknown cluster: exit 2 and the known ones listed', async () => {
    const r = await cli([
      'diagnose',
      '--kubeconfig',
      ground.kubeconfig,
      '--watch',
      '0',
      '--cluster',
      'c-nope',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown cluster "c-nope"; known clusters: .*c-dql6k \(prod-east\)/);
    expect(r.stdout).toBe('');
  });

  it('exit 0 when nothing is found', async () => {
    ground.standin.create('local', {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Cluster',
      metadata: { name: 'c-empty' },
      spec: { displayName: 'empty' },
      status: { driver: 'rancherKubernetesEngine', appliedSpec: { displayName: 'empty' } },
    });
    const r = await cli([
      'diagnose',
      '--kubeconfig',
      ground.kubeconfig,
      '--watch',
      '0',
      '--cluster',
      'c-empty',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no object rewritten in a loop');
  });

  it('bad durations and unreadable kubeconfigs are usage errors (exit 2) naming the option', async () => {
    const bad = await cli(['diagnose', '--kubeconfig', ground.kubeconfig, '--since', '30 minutes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
    const missing = await cli(['diagnose', '--kubeconfig', '/nonexistent/kubeconfig', '--watch', '0']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/kubeconfig');
  });

  it('403 on node objects: exit 2 with what to grant', async () => {
    const rule = ground.standin.faults.forbid({
      verb: 'list',
      group: 'management.cattle.io',
      resource: 'nodes',
    });
    try {
      const r = await cli(['diagnose', '--kubeconfig', ground.kubeconfig, '--watch', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nodes.management.cattle.io');
      expect(r.stderr).toContain('grant list on nodes.management.cattle.io');
    } finally {
      rule.remove();
    }
  });
});

/** A stack trace line, as Node prints them. */
const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

/** The kubeconfig of the stand-in with its server or flags changed. */
function variantKubeconfig(name: string, edit: (yaml: string) => string): string {
  const file = path.join(ground.dir, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync(ground.kubeconfig, 'utf8')));
  return file;
}

describe('rancher-doctor diagnose: failures a person reads, without stack traces', () => {
  it('no kubeconfig and no service account: exit 2, says how to give one', async () => {
    if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
      console.warn(`skipped: ${SERVICE_ACCOUNT_TOKEN} exists here, so there is an in-cluster config`);
      return;
    }
    const home = mkdtempSync(path.join(tmpdir(), 'no-kube-home-'));
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    delete process.env.KUBECONFIG;
    process.env.HOME = home;
    try {
      const r = await cli(['diagnose', '--watch', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no kubeconfig and no in-cluster service account found');
      expect(r.stderr).toContain('--kubeconfig');
      expect(r.stderr).toContain('KUBECONFIG=');
      expect(r.stderr).not.toContain('HTTP protocol is not allowed');
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stdout).toBe('');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a kubeconfig with a plain http:// server works without insecure-skip-tls-verify (as with kubectl)', async () => {
    const file = variantKubeconfig('plain-http', (y) =>
      y.replace(/^\s*insecure-skip-tls-verify: true\n/m, ''),
    );
    expect(readFileSync(file, 'utf8')).not.toContain('insecure-skip-tls-verify');
    const r = await cli(['diagnose', '--kubeconfig', file, '--watch', '0', '--cluster', 'c-dql6k']);
    expect(r.stderr).not.toContain('HTTP protocol is not allowed');
    expect(r.code).toBe(1);
  });

  it('an error that is neither usage nor access (TLS to a plain http server): one line, no stack', async () => {
    const file = variantKubeconfig('tls-to-http', (y) => y.replace('http://', 'https://'));
    const r = await cli(['diagnose', '--kubeconfig', file, '--watch', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /rancher-doctor: could not list clusters\.management\.cattle\.io \(cluster local\)/,
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('retries are logged as short human lines on stderr, not pino JSON (child process, real logger)', async () => {
    const dead = variantKubeconfig('dead', (y) => y.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1'));
    const r = await runCliProcess(['diagnose', '--kubeconfig', dead, '--watch', '0'], {
      env: { KUBE_RETRIES: '2', KUBE_RETRY_BASE_MS: '5', KUBE_RETRY_MAX_MS: '20' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^rancher-doctor: warn \[rancher\]: retrying list clusters\.management\.cattle\.io \(cluster local\) after ECONNREFUSED: attempt 1 of 2, next in \d+ ms$/m,
    );
    expect(r.stderr).not.toMatch(/^\{/m);
    expect(r.stderr).toMatch(
      /^rancher-doctor: could not list clusters\.management\.cattle\.io .*ECONNREFUSED after 3 attempts$/m,
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
  }, 30000);
});

describe('parseDuration', () => {
  it('accepts 30s, 30m, 1h, 1h30m, 1d and 0 where allowed; rejects the rest', () => {
    expect(parseDuration('--since', '30s')).toBe(30);
    expect(parseDuration('--since', '30m')).toBe(1800);
    expect(parseDuration('--since', '1h30m')).toBe(5400);
    expect(parseDuration('--since', '1d')).toBe(86400);
    expect(parseDuration('--watch', '0', true)).toBe(0);
    for (const bad of ['30', '1x', '-5m', 'm', '0s', '']) {
      expect(() => parseDuration('--since', bad)).toThrow(/--since/);
    }
  });
});
