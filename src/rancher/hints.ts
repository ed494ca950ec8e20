/** What a person should grant or check when a read is refused. Pure. */

export interface Operation {
  /** RBAC verb: get, list, watch, patch... */
  verb: string;
  /** RBAC resource with group, e.g. nodes.management.cattle.io, pods/log, nodes. */
  resource: string;
  namespace: string | null;
  /** Which cluster: 'local' or a downstream id. */
  cluster: string;
  /** Reached how, e.g. 'kubeconfig /x' or 'Rancher proxy https://...'. */
  via: string;
}

export function describeOperation(op: Operation): string {
  const scope = op.namespace ? ` in namespace ${op.namespace}` : '';
  return `${op.verb} ${op.resource}${scope} (cluster ${op.cluster})`;
}

export function accessHint(status: number, op: Operation): string {
  const scope = op.namespace ? ` in namespace ${op.namespace}` : ' (cluster-wide)';
  const who = op.cluster === 'local' ? 'the service account' : 'the Rancher token';
  switch (status) {
    case 401:
      return `the credentials were refused by cluster ${op.cluster} (${op.via}): check that the token or client certificate is valid and not expired`;
    case 403:
      return `${who} may not ${op.verb} ${op.resource}${scope}: grant ${op.verb} on ${op.resource}${scope}`;
    case 404:
      return `${op.resource}${op.namespace ? ` in ${op.namespace}` : ''} was not found on cluster ${op.cluster} (${op.via}): check the cluster id and that Rancher's CRDs are installed there`;
    default:
      return `check cluster ${op.cluster} (${op.via})`;
  }
}
