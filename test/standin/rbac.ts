/**
 * kube-apiserver's RBAC authorizer, for the users a test puts under it: allow-lists from Roles,
 * ClusterRoles and their bindings, nothing denied but what no rule allows. Pure.
 *
 * Users not put under it keep the stand-in's usual answer (everything), as system:masters do on a
 * real apiserver; that keeps scenarios that do not ask for RBAC unchanged.
 */
import { ApiError, type StatusBody } from './status.js';

/** An RBAC object as rendered (types.ts's K8sObject fits; not imported, as types.ts imports this). */
export interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

export interface RbacOptions {
  /** Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (other kinds are ignored). */
  objects: RbacObject[];
  /** Bearer token → user name accepted by the local cluster, e.g. system:serviceaccount:ns:sa. */
  tokens: Record<string, string>;
}

export interface ResourceAttributes {
  user: string;
  verb: string;
  group: string;
  resource: string;
  subresource: string | null;
  namespace: string | null;
  name: string | null;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}
interface Binding {
  namespace: string | null;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
}

/**
 * What the default ClusterRoles system:discovery, system:basic-user and system:public-info-viewer
 * grant every authenticated user.
 */
const DISCOVERY: Rule = {
  nonResourceURLs: [
    '/api',
    '/api/*',
    '/apis',
    '/apis/*',
    '/version',
    '/version/',
    '/healthz',
    '/livez',
    '/readyz',
    '/openapi/*',
  ],
  verbs: ['get'],
};

export class RbacAuthorizer {
  private readonly roles = new Map<string, Rule[]>();
  private readonly bindings: Binding[] = [];
  readonly users: Set<string>;

  constructor(options: RbacOptions) {
    this.users = new Set(Object.values(options.tokens));
    for (const obj of options.objects) {
      const ns = obj.metadata.namespace ?? null;
      if (obj.kind === 'Role' || obj.kind === 'ClusterRole') {
        this.roles.set(
          roleKey(obj.kind, obj.kind === 'Role' ? ns : null, obj.metadata.name),
          (obj.rules as Rule[]) ?? [],
        );
      } else if (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') {
        this.bindings.push({
          namespace: obj.kind === 'RoleBinding' ? ns : null,
          roleRef: obj.roleRef as Binding['roleRef'],
          subjects: (obj.subjects as Subject[]) ?? [],
        });
      }
    }
  }

  governs(user: string): boolean {
    return this.users.has(user);
  }

  /** Resource requests: the rules of every binding naming the user (or a group of theirs) that applies here. */
  allows(a: ResourceAttributes): boolean {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return this.rulesFor(a.user, a.namespace).some(
      (r) =>
        matches(r.verbs, a.verb) &&
        matches(r.apiGroups, a.group) &&
        (r.resources ?? []).some(
          (x) => x === '*' || x === resource || (a.subresource && x === `*/${a.subresource}`),
        ) &&
        (!r.resourceNames?.length || (a.name !== null && r.resourceNames.includes(a.name))),
    );
  }

  /** Non-resource URLs (/metrics, /version): ClusterRoles through ClusterRoleBindings only. */
  allowsPath(user: string, verb: string, path: string): boolean {
    return [DISCOVERY, ...this.rulesFor(user, null, true)].some(
      (r) =>
        matches(r.verbs, verb) &&
        (r.nonResourceURLs ?? []).some(
          (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
        ),
    );
  }

  private rulesFor(user: string, namespace: string | null, clusterOnly = false): Rule[] {
    const groups = groupsOf(user);
    return this.bindings
      .filter((b) => b.namespace === null || (!clusterOnly && b.namespace === namespace))
      .filter((b) => b.subjects.some((s) => names(s, user, groups)))
      .flatMap((b) => {
        const key =
          b.roleRef.kind === 'Role'
            ? roleKey('Role', b.namespace, b.roleRef.name)
            : roleKey('ClusterRole', null, b.roleRef.name);
        return this.roles.get(key) ?? [];
      })
      .filter((r) => (clusterOnly ? r.nonResourceURLs?.length : r.resources?.length));
  }
}

function roleKey(kind: string, namespace: string | null, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function matches(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((x) => x === '*' || x === value);
}

/** The groups the apiserver's service-account authenticator gives a service account's token. */
function groupsOf(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  return [
    'system:authenticated',
    ...(sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : []),
  ];
}

function names(s: Subject, user: string, groups: string[]): boolean {
  switch (s.kind) {
    case 'ServiceAccount':
      return user === `system:serviceaccount:${s.namespace}:${s.name}`;
    case 'User':
      return user === s.name;
    case 'Group':
      return groups.includes(s.name);
    default:
      return false;
  }
}

/** kube-apiserver's answer to a non-resource URL RBAC does not allow. */
export function forbiddenPath(user: string, verb: string, path: string): ApiError {
  const status: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `forbidden: User "${user}" cannot ${verb} path "${path}"`,
    reason: 'Forbidden',
    details: {},
    code: 403,
  };
  return new ApiError(status);
}
