import { describe, expect, it } from '@jest/globals';
import { RbacAuthorizer } from './rbac.js';
import type { RbacObject as K8sObject } from './rbac.js';

const SA = 'system:serviceaccount:ops:doctor';
const obj = (kind: string, name: string, rest: object, namespace?: string): K8sObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...rest,
});
const authorizer = new RbacAuthorizer({
  tokens: { t: SA },
  objects: [
    obj('ClusterRole', 'metrics', { rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] }),
    obj('ClusterRoleBinding', 'metrics', {
      roleRef: { kind: 'ClusterRole', name: 'metrics' },
      subjects: [{ kind: 'Group', name: 'system:serviceaccounts:ops' }],
    }),
    obj('ClusterRole', 'crd', {
      rules: [
        {
          apiGroups: ['apiextensions.k8s.io'],
          resources: ['customresourcedefinitions'],
          resourceNames: ['a'],
          verbs: ['get'],
        },
      ],
    }),
    // A ClusterRole bound by a RoleBinding grants within that namespace only.
    obj(
      'RoleBinding',
      'crd',
      {
        roleRef: { kind: 'ClusterRole', name: 'crd' },
        subjects: [{ kind: 'ServiceAccount', name: 'doctor', namespace: 'ops' }],
      },
      'ops',
    ),
    obj(
      'Role',
      'logs',
      { rules: [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }] },
      'kube-system',
    ),
    obj(
      'RoleBinding',
      'logs',
      {
        roleRef: { kind: 'Role', name: 'logs' },
        subjects: [{ kind: 'ServiceAccount', name: 'doctor', namespace: 'ops' }],
      },
      'kube-system',
    ),
  ],
});
const at = (
  verb: string,
  group: string,
  resource: string,
  subresource: string | null,
  namespace: string | null,
  name: string | null,
) => authorizer.allows({ user: SA, verb, group, resource, subresource, namespace, name });

describe('the stand-in RBAC authorizer', () => {
  it('governs the users of its tokens only', () => {
    expect(authorizer.governs(SA)).toBe(true);
    expect(authorizer.governs('system:admin')).toBe(false);
  });

  it('non-resource URLs through a group binding; discovery for every authenticated user', () => {
    expect(authorizer.allowsPath(SA, 'get', '/metrics')).toBe(true);
    expect(authorizer.allowsPath(SA, 'post', '/metrics')).toBe(false);
    expect(authorizer.allowsPath(SA, 'get', '/apis/management.cattle.io')).toBe(true);
    expect(authorizer.allowsPath(SA, 'get', '/debug/pprof')).toBe(false);
  });

  it('a subresource needs its own rule; a Role grants in its namespace only', () => {
    expect(at('get', '', 'pods', 'log', 'kube-system', 'p')).toBe(true);
    expect(at('get', '', 'pods', null, 'kube-system', 'p')).toBe(false);
    expect(at('get', '', 'pods', 'log', 'default', 'p')).toBe(false);
  });

  it('resourceNames: only those names, and never a list', () => {
    const crd = (ns: string | null, name: string | null, verb = 'get') =>
      at(verb, 'apiextensions.k8s.io', 'customresourcedefinitions', null, ns, name);
    expect(crd('ops', 'a')).toBe(true);
    expect(crd('ops', 'b')).toBe(false);
    expect(crd('ops', null, 'list')).toBe(false);
    // Bound by a RoleBinding: nothing at the cluster scope.
    expect(crd(null, 'a')).toBe(false);
  });
});
