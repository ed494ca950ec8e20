/**
 * The objects of Rancher's resources beyond the management.cattle.io nodes and clusters (the
 * resources themselves are in resources.ts): its settings, the server's version among them.
 */
import type { ParsedScenario } from './scenario.js';
import type { K8sObject } from './types.js';

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
