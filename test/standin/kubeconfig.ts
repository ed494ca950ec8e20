/** Kubeconfig YAML for the stand-in: plain http needs insecure-skip-tls-verify for client-node. */
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, token: string, name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}
