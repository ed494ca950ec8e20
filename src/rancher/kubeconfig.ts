import { existsSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { RancherConfig } from '../config/rancher.js';
import { UsageError } from '../errors.js';

/** Where a cluster is reached from, for messages. */
export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  via: string;
}

export function localKubeConfig(config: RancherConfig): ResolvedKubeConfig {
  const kc = new KubeConfig();
  let via: string;
  try {
    if (config.kubeconfigPath) {
      kc.loadFromFile(config.kubeconfigPath);
      via = `kubeconfig ${config.kubeconfigPath}`;
    } else {
      // KUBECONFIG (several files allowed), ~/.kube/config, then the in-cluster service account.
      kc.loadFromDefault();
      via = process.env.KUBECONFIG ? `kubeconfig ${process.env.KUBECONFIG}` : 'default kubeconfig';
    }
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
  if (!kc.getCurrentCluster()) {
    throw new UsageError(
      'no cluster to talk to: set KUBECONFIG or --kubeconfig, or run inside the local cluster',
    );
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
      return { kubeConfig: kc, via: `kubeconfig ${file}` };
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
    return { kubeConfig: kc, via: `Rancher proxy ${server}` };
  }
  throw new DownstreamUnreachableConfig(
    `no way to reach downstream cluster ${clusterId}: set RANCHER_URL and RANCHER_TOKEN, or put ${clusterId}.yaml in DOWNSTREAM_KUBECONFIG_DIR`,
  );
}
