/**
 * apiextensions.k8s.io/v1 CustomResourceDefinitions of the custom resources a cluster serves,
 * derived from its registry so that they always agree with what the API answers. Norman's CRD
 * factory creates Rancher's (nodes.management.cattle.io among them) without `subresources`; a
 * scenario's `statusSubresources` gives the named ones a status subresource. Pure.
 */
import {
  apiVersionOf,
  isCustomResource,
  qualifiedName,
  type ResourceInfo,
  type ResourceRegistry,
} from './resources.js';
import { errors } from './status.js';
import type { K8sObject } from './types.js';

/** A stable resourceVersion: the definitions do not change while the stand-in runs. */
const CRD_RESOURCE_VERSION = '1';

export function crdOf(info: ResourceInfo): K8sObject {
  const withStatus = info.subresources.includes('status');
  const name = qualifiedName(info);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${Buffer.from(name).toString('hex').padEnd(12, '0').slice(0, 12)}`,
      resourceVersion: CRD_RESOURCE_VERSION,
      generation: 1,
      creationTimestamp: '2022-05-01T09:00:00Z',
    },
    spec: {
      group: info.group,
      names: {
        plural: info.resource,
        singular: info.singular,
        kind: info.kind,
        listKind: `${info.kind}List`,
        ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
      },
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: info.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          ...(withStatus ? { subresources: { status: {} } } : {}),
        },
      ],
      conversion: { strategy: 'None' },
    },
    status: {
      acceptedNames: {
        plural: info.resource,
        singular: info.singular,
        kind: info.kind,
        listKind: `${info.kind}List`,
      },
      storedVersions: [info.version],
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
        },
      ],
    },
  };
}

export function listCrds(registry: ResourceRegistry): K8sObject[] {
  return registry
    .all()
    .filter(isCustomResource)
    .map(crdOf)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export function getCrd(registry: ResourceRegistry, crdInfo: ResourceInfo, name: string): K8sObject {
  const found = listCrds(registry).find((c) => c.metadata.name === name);
  if (!found) throw errors.notFound(crdInfo, name);
  return found;
}

export function crdList(registry: ResourceRegistry, crdInfo: ResourceInfo): object {
  return {
    kind: 'CustomResourceDefinitionList',
    apiVersion: apiVersionOf(crdInfo),
    metadata: { resourceVersion: CRD_RESOURCE_VERSION },
    items: listCrds(registry),
  };
}
