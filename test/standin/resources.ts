/**
 * Which resources a cluster serves: kind, plural, scope, verbs. Built-ins for what the product
 * uses, plus whatever kinds the scenario's objects bring (plural guessed the way kube does).
 */

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, e.g. 'nodes'. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Core kinds accept strategic merge patches; custom resources answer 415. */
  builtin: boolean;
  /**
   * What a DELETE answers: the object (true), or a Success Status naming it (false). kube-apiserver's
   * generic store returns the object only where the resource's storage sets ReturnDeletedObject
   * (pods, services, ...); nodes, configmaps, apps kinds and custom resources answer a Status.
   */
  deleteReturnsObject: boolean;
  subresources: string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

type Seed = Omit<
  ResourceInfo,
  'singular' | 'shortNames' | 'subresources' | 'builtin' | 'deleteReturnsObject'
> &
  Partial<Pick<ResourceInfo, 'shortNames' | 'subresources' | 'builtin'>>;

/**
 * group/resource of the kinds whose DELETE answers the deleted object: kube's stores with
 * ReturnDeletedObject (the same list @kubernetes/client-node types from the OpenAPI document, e.g.
 * deleteNamespacedPod → V1Pod but deleteNode → V1Status), plus namespaces, whose DELETE answers the
 * namespace as it goes Terminating.
 */
const DELETE_RETURNS_OBJECT = new Set([
  '/namespaces',
  '/pods',
  '/services',
  '/serviceaccounts',
  '/persistentvolumes',
  '/persistentvolumeclaims',
  '/podtemplates',
  '/resourcequotas',
  'storage.k8s.io/storageclasses',
  'storage.k8s.io/csidrivers',
  'storage.k8s.io/csinodes',
  'storage.k8s.io/volumeattachments',
  'storage.k8s.io/volumeattributesclasses',
]);

/**
 * Rancher's resources beyond the management.cattle.io nodes and clusters (rancher-kinds.ts makes
 * their objects): its settings, and what v2prov keeps in the local cluster. Served whether or not
 * a scenario has objects of them, as Rancher's CRDs are always installed.
 */
const RANCHER_KINDS: Seed[] = [
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

const BUILTINS: Seed[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
  },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'] },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['log', 'eviction', 'status'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
  },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
  },
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
  },
  {
    group: 'management.cattle.io',
    version: 'v3',
    resource: 'nodes',
    kind: 'Node',
    namespaced: true,
    builtin: false,
  },
  {
    group: 'management.cattle.io',
    version: 'v3',
    resource: 'clusters',
    kind: 'Cluster',
    namespaced: false,
    builtin: false,
  },
  {
    group: 'management.cattle.io',
    version: 'v3',
    resource: 'clusterregistrationtokens',
    kind: 'ClusterRegistrationToken',
    namespaced: true,
    builtin: false,
  },
  ...RANCHER_KINDS,
];

/** Kinds known to be cluster-scoped when a scenario brings a kind the table does not have. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'APIService',
]);

/** kube's default pluralisation (gengo's namer), good enough for kinds not in the table. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(info: { group: string; version: string }): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** 'nodes.management.cattle.io' or 'pods': how kube names a resource in messages. */
export function qualifiedName(info: { group: string; resource: string }): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

function complete(seed: Seed): ResourceInfo {
  return {
    shortNames: [],
    subresources: [],
    builtin: seed.group === '' || !seed.group.includes('.') || seed.group.endsWith('.k8s.io'),
    deleteReturnsObject: DELETE_RETURNS_OBJECT.has(`${seed.group}/${seed.resource}`),
    ...seed,
    singular: seed.kind.toLowerCase(),
  };
}

export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceInfo>();
  private readonly byKind = new Map<string, ResourceInfo>();

  constructor() {
    for (const seed of BUILTINS) this.add(complete(seed));
  }

  add(info: ResourceInfo): void {
    this.byPath.set(`${info.group}/${info.version}/${info.resource}`, info);
    this.byKind.set(`${apiVersionOf(info)}/${info.kind}`, info);
  }

  /** The resource an object of this apiVersion/kind belongs to, registering it when new. */
  forObject(apiVersion: string, kind: string, namespaced: boolean): ResourceInfo {
    const known = this.byKind.get(`${apiVersion}/${kind}`);
    if (known) return known;
    const { group, version } = splitApiVersion(apiVersion);
    const info = complete({
      group,
      version,
      kind,
      resource: pluralOf(kind),
      namespaced: namespaced && !CLUSTER_SCOPED_KINDS.has(kind),
    });
    this.add(info);
    return info;
  }

  lookup(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  byKindOf(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  all(): ResourceInfo[] {
    return [...this.byPath.values()];
  }

  /** Group name to its versions, core ('') included. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const info of this.byPath.values()) {
      const versions = groups.get(info.group) ?? [];
      if (!versions.includes(info.version)) versions.push(info.version);
      groups.set(info.group, versions);
    }
    return groups;
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }
}

/** Custom resources: what a CustomResourceDefinition defines (builtins are compiled into kube-apiserver). */
export function isCustomResource(info: ResourceInfo): boolean {
  return !info.builtin;
}

export function verbsOf(_info: ResourceInfo): string[] {
  return VERBS;
}
