import { describe, expect, it } from '@jest/globals';
import { checkOverlay } from '../../scripts/manifests.js';
import type { K8sObject } from '../standin/index.js';
import { startStandin } from '../standin/index.js';
import { overlay } from './support.js';

/**
 * The detector's second signal needs `get` on the apiserver's /metrics: the alerts overlay (its
 * metrics-detector component) grants it to the service account, the default one does not. The
 * stand-in authorizes the account by the rendered RBAC objects, as kube-apiserver's RBAC does.
 */
const SA_USER = 'system:serviceaccount:rancher-doctor:rancher-doctor';
const SA_TOKEN = 'rancher-doctor-sa-token';
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

async function metricsAnswer(overlayName: string): Promise<number> {
  const manifests = await checkOverlay(overlay(overlayName));
  const objects = manifests.filter((m) => RBAC_KINDS.has(m.kind)) as K8sObject[];
  const standin = await startStandin({
    loopIntervalMs: null,
    rbac: { objects, tokens: { [SA_TOKEN]: SA_USER } },
  });
  try {
    const res = await fetch(`${standin.url}/metrics`, { headers: { Authorization: `Bearer ${SA_TOKEN}` } });
    await res.text();
    return res.status;
  } finally {
    await standin.close();
  }
}

describe("the service account's access to the apiserver's /metrics", () => {
  it('the alerts overlay grants get on /metrics; the default overlay does not', async () => {
    expect(await metricsAnswer('alerts')).toBe(200);
    expect(await metricsAnswer('default')).toBe(403);
  }, 60000);
});
