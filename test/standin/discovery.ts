/** Discovery documents, legacy and aggregated (apidiscovery.k8s.io/v2). Pure. */
import { verbsOf, type ResourceInfo, type ResourceRegistry } from './resources.js';

export const AGGREGATED_V2_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** kubectl offers v2, v2beta1 and plain JSON; serve the aggregated form only when v2 is offered. */
export function wantsAggregatedV2(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .some((part) => /g=apidiscovery\.k8s\.io/.test(part) && /(^|;)\s*v=v2\s*(;|$)/.test(part));
}

function preferredVersion(versions: string[]): string {
  return [...versions].sort((a, b) => b.localeCompare(a))[0]!;
}

export function apiVersions(host: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
  };
}

export function apiGroupList(registry: ResourceRegistry): object {
  const groups = [...registry.groups().entries()].filter(([group]) => group !== '');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(([name, versions]) => groupDoc(name, versions)),
  };
}

export function apiGroup(registry: ResourceRegistry, group: string): object | null {
  const versions = registry.groups().get(group);
  if (!versions || group === '') return null;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) };
}

function groupDoc(name: string, versions: string[]): object {
  const preferred = preferredVersion(versions);
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
  };
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): object | null {
  const resources = registry.inGroupVersion(group, version);
  if (resources.length === 0) return null;
  const list: object[] = [];
  for (const r of resources) {
    list.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      storageVersionHash: '',
    });
    for (const sub of r.subresources) list.push(subresourceDoc(r, sub));
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: list,
  };
}

function subresourceDoc(r: ResourceInfo, sub: string): object {
  const kinds: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
    log: { kind: 'Pod', verbs: ['get'] },
    eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
    status: { kind: r.kind, verbs: ['get', 'patch', 'update'] },
  };
  const doc = kinds[sub] ?? { kind: r.kind, verbs: ['get'] };
  return {
    name: `${r.resource}/${sub}`,
    singularName: '',
    namespaced: r.namespaced,
    kind: doc.kind,
    verbs: doc.verbs,
    ...(doc.group ? { group: doc.group, version: doc.version } : {}),
  };
}

/** /api (core only) or /apis (every other group) in the aggregated v2 form. */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): object {
  const items = [...registry.groups().entries()]
    .filter(([group]) => (group === '') === core)
    .map(([group, versions]) => ({
      metadata: { name: group },
      versions: [...versions]
        .sort((a, b) => b.localeCompare(a))
        .map((version) => ({
          version,
          resources: registry.inGroupVersion(group, version).map((r) => ({
            resource: r.resource,
            responseKind: { group, version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: verbsOf(r),
            ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
            subresources: r.subresources.map((sub) => ({
              subresource: sub,
              responseKind:
                sub === 'eviction'
                  ? { group: 'policy', version: 'v1', kind: 'Eviction' }
                  : { group, version, kind: r.kind },
              verbs: sub === 'log' ? ['get'] : sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'],
            })),
          })),
          freshness: 'Current',
        })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
