/**
 * What stands in for a Helm values schema with kustomize: render an overlay with `kubectl
 * kustomize`, check every object against the Kubernetes schemas offline (kubernetes-models), and
 * check the settings ConfigMap with the bot's own config loader, so that a bad value is named
 * before `kubectl apply` rather than in a crash-looping pod's log.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadBotConfig } from '../src/config/bot.js';
import { loadRancherConfig } from '../src/config/rancher.js';

const run = promisify(execFile);

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export class ManifestError extends Error {}

export async function renderOverlay(dir: string, kubectl = 'kubectl'): Promise<Manifest[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new ManifestError(`kubectl kustomize ${dir}: ${stderr || (err as Error).message}`);
  }
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

type Validatable = new (data: unknown) => { validate(): void };

/** The kubernetes-models module of an apiVersion; custom resources of the Prometheus Operator too. */
async function modelOf(apiVersion: string, kind: string): Promise<Validatable | null> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const spec =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    // An apiVersion kubernetes-models does not know; anything else (the package missing) is thrown.
    if ((err as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw err;
  }
  return (mod[kind] as Validatable | undefined) ?? null;
}

/** Every object against its schema: the first problem, named by object and field path. */
export async function validateManifests(manifests: Manifest[]): Promise<void> {
  for (const m of manifests) {
    const what = `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;
    const Model = await modelOf(m.apiVersion, m.kind);
    if (!Model) throw new ManifestError(`${what}: no schema for ${m.apiVersion} ${m.kind}`);
    try {
      new Model(m).validate();
    } catch (err) {
      throw new ManifestError(`${what}: ${(err as Error).message.replaceAll('data/', '')}`);
    }
  }
}

/** Stand-ins for the Secrets' values: the loaders check their shape, not what they open. */
const SECRET_SHAPES: Record<string, string> = {
  SLACK_BOT_TOKEN: 'xoxb-0-check',
  SLACK_SIGNING_SECRET: 'check',
  SLACK_APP_TOKEN: 'xapp-0-check',
  RANCHER_TOKEN: 'token-check:check',
  REDIS_URL: 'redis://check:6379',
  ALERTMANAGER_TOKEN: 'check-check-check-check',
};

/** The settings each container gets, checked by the loaders the bot and worker start with. */
export function checkSettings(manifests: Manifest[]): void {
  const configMaps = new Map(
    manifests
      .filter((m) => m.kind === 'ConfigMap')
      .map((m) => [m.metadata.name, (m.data ?? {}) as Record<string, string>]),
  );
  for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
    const pod = (d.spec as { template: { spec: { containers: Container[] } } }).template.spec;
    for (const c of pod.containers) {
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? []) Object.assign(env, configMaps.get(from.configMapRef?.name ?? ''));
      for (const e of c.env ?? []) {
        env[e.name] = e.value ?? (e.valueFrom?.secretKeyRef ? (SECRET_SHAPES[e.name] ?? 'check') : '');
      }
      const role = c.args?.[0];
      if (role !== 'bot' && role !== 'worker' && role !== 'serve') continue;
      try {
        loadBotConfig(env, role);
        loadRancherConfig(env);
      } catch (err) {
        throw new ManifestError(`Deployment ${d.metadata.name}: ${(err as Error).message}`);
      }
    }
  }
}

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
}

/** Render, validate, check the settings: what `npm run manifests -- DIR` runs before an apply. */
export async function checkOverlay(dir: string): Promise<Manifest[]> {
  const manifests = await renderOverlay(dir);
  await validateManifests(manifests);
  checkSettings(manifests);
  return manifests;
}
