import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from '../../scripts/manifests.js';
import { shutdownMarginMs } from '../../src/app/roles.js';
import { createMetrics } from '../../src/server/metrics.js';
import { ROOT, byKind, named, overlay, renderCustom } from './support.js';
import { checkOverlay } from '../../scripts/manifests.js';

// kubectl is on these machines (the README says what the tests need); kustomize is built into it.
const OVERLAYS = ['default', 'remediation', 'alerts', 'socket-mode', 'external-redis'] as const;
const rendered = new Map<string, Manifest[]>();

beforeAll(async () => {
  for (const name of OVERLAYS) rendered.set(name, await checkOverlay(overlay(name)));
});
const of = (name: (typeof OVERLAYS)[number]) => rendered.get(name)!;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
const READ_VERBS = new Set(['get', 'list', 'watch']);
const SECRET_SETTINGS = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'RANCHER_TOKEN',
  'ALERTMANAGER_TOKEN',
];

/** The rules of every Role and ClusterRole bound to the service account. */
function grantedRules(manifests: Manifest[]): Rule[] {
  const bound = [...byKind(manifests, 'RoleBinding'), ...byKind(manifests, 'ClusterRoleBinding')].filter(
    (b) =>
      (b.subjects as { kind: string; name: string }[]).some(
        (s) => s.kind === 'ServiceAccount' && s.name === 'rancher-doctor',
      ),
  );
  return bound.flatMap((b) => {
    const ref = b.roleRef as { kind: string; name: string };
    const role = manifests.find(
      (m) =>
        m.kind === ref.kind &&
        m.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || m.metadata.namespace === b.metadata.namespace),
    );
    expect(role).toBeDefined();
    return role!.rules as Rule[];
  });
}

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
}
const podOf = (d: Manifest) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const settings = (manifests: Manifest[]) =>
  byKind(manifests, 'ConfigMap').find((c) => c.metadata.name.startsWith('rancher-doctor-settings'))!
    .data as Record<string, string>;

describe('the manifests, rendered with kubectl kustomize for each shipped overlay', () => {
  it('every object is valid against the Kubernetes schemas, and the settings against the loaders', () => {
    // checkOverlay threw otherwise; this says what was rendered.
    expect(
      byKind(of('default'), 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['rancher-doctor-bot', 'rancher-doctor-redis', 'rancher-doctor-worker']);
  });

  it('no write verb unless remediation is on; then only patch on node objects and create on events', () => {
    for (const name of OVERLAYS) {
      const rules = grantedRules(of(name));
      for (const r of rules) expect(r.verbs).not.toContain('*');
      const writes = rules.filter((r) => r.verbs.some((v) => !READ_VERBS.has(v)));
      if (name === 'remediation') {
        expect(writes).toEqual([
          { apiGroups: ['management.cattle.io'], resources: ['nodes', 'nodes/status'], verbs: ['patch'] },
          { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create'] },
        ]);
        expect(settings(of(name)).REMEDIATION_ENABLED).toBe('true');
      } else {
        expect(writes).toEqual([]);
        expect(settings(of(name)).REMEDIATION_ENABLED).toBe('false');
      }
    }
  });

  it('reads no Secret, and clusterregistrationtokens only by get/list (dropped by a component)', async () => {
    for (const name of OVERLAYS) {
      for (const r of grantedRules(of(name))) expect(r.resources ?? []).not.toContain('secrets');
    }
    const hasTokens = (m: Manifest[]) =>
      grantedRules(m).some((r) => r.resources?.includes('clusterregistrationtokens'));
    expect(hasTokens(of('default'))).toBe(true);
    expect(hasTokens(await renderCustom(['no-registration-tokens']))).toBe(false);
  });

  it('no Secret values in the output: no Secret object, tokens only through secretKeyRef', () => {
    for (const name of OVERLAYS) {
      const manifests = of(name);
      expect(byKind(manifests, 'Secret')).toEqual([]);
      const text = stringify(manifests);
      expect(text).not.toMatch(/xox[abp]-|xapp-|token-[a-z0-9]+:/);
      for (const key of Object.keys(settings(manifests))) expect(key).not.toMatch(/TOKEN|SECRET|PASSWORD/);
      for (const d of byKind(manifests, 'Deployment')) {
        for (const e of podOf(d).containers.flatMap((c) => c.env ?? [])) {
          if (SECRET_SETTINGS.includes(e.name) || e.name === 'REDIS_URL') {
            expect(e.value).toBeUndefined();
            expect(e.valueFrom).toHaveProperty('secretKeyRef');
          }
        }
      }
    }
  });

  it('probes on /livez and /readyz of the internal port; non-root, read-only, no capabilities, RuntimeDefault', () => {
    for (const name of OVERLAYS) {
      for (const d of byKind(of(name), 'Deployment')) {
        const pod = podOf(d);
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.securityContext!.runAsUser).not.toBe(0);
        for (const c of pod.containers) {
          expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          expect(c.livenessProbe).toBeDefined();
          expect(c.readinessProbe).toBeDefined();
        }
        if (d.metadata.name === 'rancher-doctor-redis') continue;
        const [c] = pod.containers;
        // /readyz fails while Slack or Redis is out; /livez does not, so an outage restarts nothing.
        expect(c!.livenessProbe!.httpGet).toEqual({ path: '/livez', port: 'internal' });
        expect(c!.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'internal' });
        const grace = Number(settings(of(name)).SHUTDOWN_GRACE_MS);
        expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(grace + shutdownMarginMs(grace));
      }
    }
  });

  it('the ServiceMonitor and PrometheusRule only when asked, on metrics the processes export', async () => {
    for (const name of OVERLAYS) {
      const want = name === 'alerts' ? 1 : 0;
      expect(byKind(of(name), 'ServiceMonitor')).toHaveLength(want);
      expect(byKind(of(name), 'PrometheusRule')).toHaveLength(want);
    }
    const monitor = byKind(of('alerts'), 'ServiceMonitor')[0]!;
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: 'internal', path: '/metrics' }] });
    const exported = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const rule = byKind(of('alerts'), 'PrometheusRule')[0]!;
    const exprs = (rule.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
      (g) => g.rules,
    );
    const unknown = exprs.flatMap(({ alert, expr }) =>
      (expr.match(/rancher_doctor_[a-z_]+/g) ?? [])
        .map((m) => m.replace(/_(bucket|sum|count)$/, ''))
        .filter((m) => !exported.has(m))
        .map((m) => `${alert}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('docs/operations.md says what each metric and each alert means', async () => {
    const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const ours = (await createMetrics().registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => !/^rancher_doctor_(process|nodejs)_/.test(n));
    expect(ours.length).toBeGreaterThan(15);
    expect(ours.filter((n) => !doc.includes(`| \`${n}\` |`))).toEqual([]);
    const rule = byKind(of('alerts'), 'PrometheusRule')[0]!;
    const alerts = (
      rule.spec as { groups: { rules: { alert: string; annotations: { runbook: string } }[] }[] }
    ).groups.flatMap((g) => g.rules);
    // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    const anchors = [...doc.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    for (const { alert, annotations } of alerts) {
      expect(doc).toContain(`\n### ${alert}\n`);
      expect(annotations.runbook).toMatch(/^docs\/operations\.md#/);
      expect(anchors).toContain(annotations.runbook.split('#')[1]);
    }
  });

  it('the metrics detector may read the apiserver /metrics, and only then', () => {
    const nonResource = (m: Manifest[]) => grantedRules(m).flatMap((r) => r.nonResourceURLs ?? []);
    expect(nonResource(of('alerts'))).toEqual(['/metrics']);
    for (const name of OVERLAYS.filter((n) => n !== 'alerts')) expect(nonResource(of(name))).toEqual([]);
  });

  it('Socket Mode: no Ingress; the settings loader accepts it with the app token', () => {
    expect(byKind(of('socket-mode'), 'Ingress')).toEqual([]);
    expect(settings(of('socket-mode')).SLACK_SOCKET_MODE).toBe('true');
    expect(byKind(of('default'), 'Ingress')).toHaveLength(1);
  });

  it('the Ingress exposes Slack’s path on the http port only; the internal port is for cattle-monitoring-system', () => {
    for (const name of OVERLAYS) {
      for (const ingress of byKind(of(name), 'Ingress')) {
        const paths = (
          ingress.spec as {
            rules: {
              http: { paths: { path: string; backend: { service: { port: { name: string } } } }[] };
            }[];
          }
        ).rules.flatMap((r) => r.http.paths);
        expect(paths.map((p) => [p.path, p.backend.service.port.name])).toEqual([['/slack/events', 'http']]);
      }
    }
    const policy = named(of('alerts'), 'NetworkPolicy', 'rancher-doctor')!;
    const ingress = (policy.spec as { ingress: { from?: unknown[]; ports: { port: string }[] }[] }).ingress;
    const internal = ingress.filter((r) => r.ports.some((p) => p.port === 'internal'));
    expect(internal).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cattle-monitoring-system' } },
          },
        ],
        ports: [{ port: 'internal', protocol: 'TCP' }],
      },
    ]);
  });

  it('external Redis: no bundled Redis, REDIS_URL from its Secret; bundled: AOF and noeviction on a volume', () => {
    const external = of('external-redis');
    expect(named(external, 'Deployment', 'rancher-doctor-redis')).toBeUndefined();
    expect(byKind(external, 'PersistentVolumeClaim')).toEqual([]);
    for (const d of byKind(external, 'Deployment')) {
      expect(podOf(d).containers[0]!.env).toContainEqual({
        name: 'REDIS_URL',
        valueFrom: { secretKeyRef: { name: 'rancher-doctor-redis', key: 'url' } },
      });
    }
    const redis = podOf(named(of('default'), 'Deployment', 'rancher-doctor-redis')!).containers[0]!;
    const args = (redis as { args: string[] }).args.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
  });

  it('the opt-in RKE1 log reader renders and validates; it mounts the host read-only', async () => {
    const job = named(await renderCustom(['rke1-apiserver-logs']), 'Job', 'rancher-doctor-rke1-diagnose')!;
    const pod = (
      job.spec as {
        template: { spec: { containers: { volumeMounts: { readOnly?: boolean; name: string }[] }[] } };
      }
    ).template.spec;
    expect(pod.containers[0]!.volumeMounts.find((v) => v.name === 'containers')!.readOnly).toBe(true);
  });
});

describe('a bad value is refused, named', () => {
  const merge = (literal: string) =>
    [
      'configMapGenerator:',
      '  - name: rancher-doctor-settings',
      '    namespace: rancher-doctor',
      '    behavior: merge',
      '    literals:',
      `      - ${literal}`,
    ].join('\n');

  it('a setting the bot would refuse at start', async () => {
    await expect(renderCustom([], merge('SHUTDOWN_GRACE_MS=soon'))).rejects.toThrow(
      /Deployment rancher-doctor-(bot|worker): bad setting SHUTDOWN_GRACE_MS: must be a whole number/,
    );
    await expect(renderCustom([], merge('APPROVERS=alice'))).rejects.toThrow(/bad setting APPROVERS/);
    await expect(renderCustom([], merge('RANCHER_URL=rancher.example.com'))).rejects.toThrow(/RANCHER_URL/);
  });

  it('a field of the wrong type, by its path', async () => {
    const patch = [
      'patches:',
      '  - target: { kind: Deployment, name: rancher-doctor-worker }',
      '    patch: |-',
      '      - { op: replace, path: /spec/replicas, value: two }',
    ].join('\n');
    await expect(renderCustom([], patch)).rejects.toThrow(
      'Deployment rancher-doctor/rancher-doctor-worker: spec/replicas must be integer',
    );
  });

  it('Socket Mode renders: the app token is a key of the Slack Secret, checked when the bot starts', async () => {
    await expect(renderCustom(['socket-mode'])).resolves.toBeDefined();
  });
});
