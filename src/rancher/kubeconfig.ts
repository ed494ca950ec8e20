import { existsSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, findHomeDir } from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { UsageError } from '../errors.js';

/** Where a cluster is reached from, for messages. */
export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  via: string;
  /** kubectl flags that reach the same cluster the same way, for the steps a person runs. */
  kubectl?: string;
  /** Who the requests go as, for the audit trail: never a secret. */
  identity?: string;
}

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where client-node's loadFromDefault would take the local cluster from: KUBECONFIG, then
 * ~/.kube/config, then the in-cluster service account. null when none is there: loadFromDefault
 * then falls back to http://localhost:8080, which is never the Rancher local cluster.
 */
export function defaultKubeconfigSource(
  env: Record<string, string | undefined> = process.env,
  exists: (file: string) => boolean = existsSync,
  home: string | null = findHomeDir(),
): string | null {
  if (env.KUBECONFIG) return `kubeconfig ${env.KUBECONFIG}`;
  if (home && exists(path.join(home, '.kube', 'config')))
    return `kubeconfig ${path.join(home, '.kube', 'config')}`;
  if (exists(SERVICE_ACCOUNT_TOKEN)) return 'in-cluster service account';
  return null;
}

export function noKubeconfigMessage(home: string | null = findHomeDir()): string {
  const where = home ? path.join(home, '.kube', 'config') : '~/.kube/config (no usable HOME)';
  return (
    `no kubeconfig and no in-cluster service account found (KUBECONFIG is not set, ${where} does not exist, ` +
    `${SERVICE_ACCOUNT_TOKEN} does not exist): give the Rancher local cluster's kubeconfig with ` +
    '--kubeconfig FILE or KUBECONFIG=FILE, or run inside the local cluster with a service account'
  );
}

export function localKubeConfig(config: RancherConfig): ResolvedKubeConfig {
  const kc = new KubeConfig();
  let via: string;
  // KUBECONFIG (several files allowed), ~/.kube/config, then the in-cluster service account.
  const source = config.kubeconfigPath ? `kubeconfig ${config.kubeconfigPath}` : defaultKubeconfigSource();
  if (source === null) throw new UsageError(noKubeconfigMessage());
  try {
    if (config.kubeconfigPath) kc.loadFromFile(config.kubeconfigPath);
    else kc.loadFromDefault();
    via = source;
  } catch (err) {
    throw new UsageError(
      `cannot read the kubeconfig${config.kubeconfigPath ? ` ${config.kubeconfigPath}` : ''}: ${(err as Error).message}`,
    );
  }
  if (config.context) {
    if (!kc.getContexts().some((c) => c.name === config.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UsageError(
        `unknown kubeconfig context "${config.context}"; contexts: ${known.join(', ') || 'none'}`,
      );
    }
    kc.setCurrentContext(config.context);
    via += ` context ${config.context}`;
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    const contexts = kc.getContexts().map((c) => c.name);
    throw new UsageError(
      `no cluster to talk to in the ${via}: it has no usable current context; pick one with --context or KUBE_CONTEXT (contexts: ${contexts.join(', ') || 'none'})`,
    );
  }
  if (cluster.server.startsWith('http://') && !cluster.skipTLSVerify) {
    // client-node refuses plain http unless told to skip TLS checks; there is no TLS to check, and
    // kubectl accepts such a server (e.g. `kubectl proxy`).
    kc.clusters = kc.clusters.map((c) => (c === cluster ? { ...c, skipTLSVerify: true } : c));
  }
  return { kubeConfig: kc, via };
}

const KUBECONFIG_SUFFIXES = ['.yaml', '.yml', '.kubeconfig', ''];

/** The downstream kubeconfig file for a cluster id in DOWNSTREAM_KUBECONFIG_DIR, if any. */
export function downstreamKubeconfigFile(dir: string, clusterId: string): string | null {
  for (const suffix of KUBECONFIG_SUFFIXES) {
    const file = path.join(dir, `${clusterId}${suffix}`);
    if (existsSync(file)) return file;
  }
  return null;
}

export class DownstreamUnreachableConfig extends Error {}

/**
 * A downstream cluster is reached by its own kubeconfig when DOWNSTREAM_KUBECONFIG_DIR has one,
 * otherwise through the Rancher proxy with the Rancher token.
 */
export function downstreamKubeConfig(config: RancherConfig, clusterId: string): ResolvedKubeConfig {
  if (config.downstreamKubeconfigDir) {
    const file = downstreamKubeconfigFile(config.downstreamKubeconfigDir, clusterId);
    if (file) {
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      const user = kc.getCurrentUser()?.name;
      return {
        kubeConfig: kc,
        via: `kubeconfig ${file}`,
        kubectl: `--kubeconfig ${file}`,
        identity: `${user ? `user ${user} of ` : ''}kubeconfig ${file}`,
      };
    }
  }
  if (config.rancherUrl && config.rancherToken) {
    const server = `${config.rancherUrl}/k8s/clusters/${encodeURIComponent(clusterId)}`;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: clusterId,
          server,
          // client-node refuses plain http unless told to skip TLS checks; there is no TLS to check.
          skipTLSVerify: config.rancherInsecure || server.startsWith('http://'),
        },
      ],
      users: [{ name: 'rancher', token: config.rancherToken }],
      contexts: [{ name: clusterId, cluster: clusterId, user: 'rancher' }],
      currentContext: clusterId,
    });
    return {
      kubeConfig: kc,
      via: `Rancher proxy ${server}`,
      identity: `${rancherTokenName(config.rancherToken)} through Rancher proxy ${server}`,
      kubectl: `--server ${server} --token "$RANCHER_TOKEN"${config.rancherInsecure && server.startsWith('https://') ? ' --insecure-skip-tls-verify' : ''}`,
    };
  }
  throw new DownstreamUnreachableConfig(
    config.downstreamKubeconfigDir
      ? `no way to reach downstream cluster ${clusterId}: RANCHER_URL and RANCHER_TOKEN are not set and DOWNSTREAM_KUBECONFIG_DIR (${config.downstreamKubeconfigDir}) has no ${clusterId}.yaml`
      : `no way to reach downstream cluster ${clusterId}: neither RANCHER_URL and RANCHER_TOKEN nor DOWNSTREAM_KUBECONFIG_DIR is set`,
  );
}

/**
 * A Rancher API token is `<name>:<secret>`; its name (`token-xxxxx`, `kubeconfig-u-xxxxx`) is what
 * Rancher's UI and audit log show, and says whose token it is. The secret part never leaves.
 */
export function rancherTokenName(token: string): string {
  const name = /^([a-z0-9][a-z0-9-]{0,62}):./.exec(token)?.[1];
  return name ? `Rancher token ${name}` : 'the Rancher token';
}
