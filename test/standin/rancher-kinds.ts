/**
 * Rancher's resources beyond the management.cattle.io nodes and clusters: its settings (the
 * server's version among them), and what v2prov (RKE2/k3s provisioned by Rancher 2.6+) keeps in
 * the local cluster: clusters.provisioning.cattle.io and CAPI's machines.cluster.x-k8s.io. Served
 * whether or not a scenario has objects of them, as Rancher's CRDs are always installed.
 */
import type { ParsedScenario } from './scenario.js';
import type { K8sObject } from './types.js';

export const RANCHER_KINDS = [
  {
    group: 'management.cattle.io',
    version: 'v3',
    resource: 'settings',
    kind: 'Setting',
    namespaced: false,
    builtin: false,
  },
  {
    group: 'provisioning.cattle.io',
    version: 'v1',
    resource: 'clusters',
    kind: 'Cluster',
    namespaced: true,
    builtin: false,
  },
  {
    group: 'cluster.x-k8s.io',
    version: 'v1beta1',
    resource: 'machines',
    kind: 'Machine',
    namespaced: true,
    builtin: false,
    shortNames: ['ma'],
  },
];

/** The local cluster's settings a scenario implies: server-version when it names Rancher's version. */
export function scenarioSettings(scenario: ParsedScenario): K8sObject[] {
  if (!scenario.rancherVersion) return [];
  return [
    {
      apiVersion: 'management.cattle.io/v3',
      kind: 'Setting',
      metadata: { name: 'server-version' },
      value: scenario.rancherVersion,
      default: '',
      source: '',
      customized: false,
    } as K8sObject,
  ];
}
