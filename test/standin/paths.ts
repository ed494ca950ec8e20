/** Parse a Kubernetes API path into what it addresses. Pure. */

export type ApiRoute =
  | { type: 'version' }
  | { type: 'health' }
  | { type: 'api-versions' } // /api
  | { type: 'api-groups' } // /apis
  | { type: 'resource-list'; group: string; version: string }
  | { type: 'group'; group: string } // /apis/<group>
  | {
      type: 'resource';
      group: string;
      version: string;
      resource: string;
      /** Namespace from the path (namespaced request), or null. */
      namespace: string | null;
      name: string | null;
      subresource: string | null;
    }
  | { type: 'unknown' };

export function parseApiPath(apiPath: string): ApiRoute {
  const clean = apiPath.replace(/\/+$/, '') || '/';
  if (clean === '/version') return { type: 'version' };
  if (/^\/(healthz|readyz|livez)(\/.*)?$/.test(clean)) return { type: 'health' };
  if (clean === '/api') return { type: 'api-versions' };
  if (clean === '/apis') return { type: 'api-groups' };
  const segments = clean.split('/').slice(1).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length < 2) return { type: 'unknown' };
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length === 2) return { type: 'group', group: segments[1]! };
    if (segments.length < 3) return { type: 'unknown' };
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return { type: 'unknown' };
  }
  if (rest.length === 0) return { type: 'resource-list', group, version };
  let namespace: string | null = null;
  // /namespaces/<ns>/<resource>...; but /namespaces and /namespaces/<name>[/status] address namespaces themselves.
  if (
    group === '' &&
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !['status', 'finalize'].includes(rest[2]!)
  ) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (group !== '' && rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { type: 'unknown' };
  return {
    type: 'resource',
    group,
    version,
    resource: rest[0]!,
    namespace,
    name: rest[1] ?? null,
    subresource: rest[2] ?? null,
  };
}

/** The path of an object (or of its collection when name is null). */
export function objectPath(
  info: { group: string; version: string; resource: string; namespaced: boolean },
  namespace: string | null | undefined,
  name: string | null,
): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${namespace}` : '';
  return `${base}${ns}/${info.resource}${name ? `/${name}` : ''}`;
}
