import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRancherConfig } from '../../src/config/rancher.js';
import { downstreamKubeConfig } from '../../src/rancher/kubeconfig.js';

describe('who a downstream cluster is written as, for the audit trail', () => {
  it("through Rancher's proxy: the token's name, never its secret", () => {
    const secret = 'q8v2zxkz4lqjtbm8w9t7kq5c2n6xj4fbl7rdn9s8xgh4mbvp2tkw7c';
    const proxy = (token: string) =>
      downstreamKubeConfig(
        loadRancherConfig({ RANCHER_URL: 'https://rancher.example.com', RANCHER_TOKEN: token }),
        'c-dql6k',
      ).identity!;
    expect(proxy(`token-ab12c:${secret}`)).toBe(
      'Rancher token token-ab12c through Rancher proxy https://rancher.example.com/k8s/clusters/c-dql6k',
    );
    expect(proxy(`kubeconfig-u-x7k2q:${secret}`)).toContain('Rancher token kubeconfig-u-x7k2q through');
    // A bearer token of another shape is named by nobody: all of it may be secret.
    expect(proxy(secret)).toBe(
      'the Rancher token through Rancher proxy https://rancher.example.com/k8s/clusters/c-dql6k',
    );
    for (const t of [`token-ab12c:${secret}`, secret]) expect(proxy(t)).not.toContain(secret);
  });

  it("through a kubeconfig of DOWNSTREAM_KUBECONFIG_DIR: its user and file, not the user's token", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rd-identity-'));
    try {
      const file = path.join(dir, 'c-dql6k.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{ name: edge, cluster: { server: "https://10.0.0.1:6443" } }]',
          'users: [{ name: drain-operator, user: { token: "s3cr3t-token" } }]',
          'contexts: [{ name: edge, context: { cluster: edge, user: drain-operator } }]',
          'current-context: edge',
        ].join('\n'),
      );
      const identity = downstreamKubeConfig(
        loadRancherConfig({ DOWNSTREAM_KUBECONFIG_DIR: dir }),
        'c-dql6k',
      ).identity!;
      expect(identity).toBe(`user drain-operator of kubeconfig ${file}`);
      expect(identity).not.toContain('s3cr3t');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
