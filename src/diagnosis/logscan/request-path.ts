import type { ObjectRef } from '../types.js';

/**
 * Request paths to the object they address. Collections (LIST, POST) are objects with an empty
 * name; non-resource paths (/healthz, discovery, /openapi) address no object and give null.
 */

export interface ParsedPath {
  /** Canonical path: the legacy /watch/ segment removed, no trailing slash. */
  key: string;
  ref: ObjectRef;
  watchPath: boolean;
}

export function parseRequestPath(path: string): ParsedPath | null {
  const parts = path.split('/');
  // parts[0] is '' for an absolute path.
  if (parts[0] !== '' || parts.length < 4) return null;
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[1] === 'api') {
    group = '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else if (parts[1] === 'apis') {
    group = parts[2] ?? '';
    version = parts[3] ?? '';
    rest = parts.slice(4);
  } else {
    return null;
  }
  if (!version || !rest.length) return null;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  const [resource, name = '', subresource = null, ...deeper] = rest;
  if (!resource || deeper.length) {
    // e.g. /api/v1/namespaces/ns/pods/p/proxy/a/b: keep the object, drop the proxied path.
    if (!resource) return null;
  }
  const ref: ObjectRef = { group, version, resource, namespace, name, subresource };
  return { key: canonicalKey(ref), ref, watchPath };
}

export function canonicalKey(ref: ObjectRef): string {
  let key = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespace !== null) key += `/namespaces/${ref.namespace}`;
  key += `/${ref.resource}`;
  if (ref.name) key += `/${ref.name}`;
  if (ref.subresource) key += `/${ref.subresource}`;
  return key;
}

export const VERBS = ['GET', 'LIST', 'WATCH', 'PUT', 'PATCH', 'POST', 'DELETE', 'OTHER'] as const;
export type Verb = (typeof VERBS)[number];
export const VERB = { GET: 0, LIST: 1, WATCH: 2, PUT: 3, PATCH: 4, POST: 5, DELETE: 6, OTHER: 7 } as const;
export const isWriteVerb = (verb: number): boolean => verb >= VERB.PUT && verb <= VERB.DELETE;

/** HTTP methods as logged by the handler and httplog lines, audit verbs in lower case. */
export function verbIndex(name: string): number {
  switch (name) {
    case 'GET':
    case 'get':
      return VERB.GET;
    case 'LIST':
    case 'list':
      return VERB.LIST;
    case 'WATCH':
    case 'WATCHLIST':
    case 'watch':
      return VERB.WATCH;
    case 'PUT':
    case 'UPDATE':
    case 'update':
      return VERB.PUT;
    case 'PATCH':
    case 'APPLY':
    case 'patch':
      return VERB.PATCH;
    case 'POST':
    case 'CREATE':
    case 'create':
      return VERB.POST;
    case 'DELETE':
    case 'DELETECOLLECTION':
    case 'delete':
    case 'deletecollection':
      return VERB.DELETE;
    default:
      return VERB.OTHER;
  }
}

/** A GET is a LIST on a collection and a WATCH with ?watch=true or the legacy /watch/ path. */
export function refineRead(verb: number, parsed: ParsedPath, watchQuery: boolean): number {
  if (verb !== VERB.GET) return verb;
  if (watchQuery || parsed.watchPath) return VERB.WATCH;
  return parsed.ref.name ? VERB.GET : VERB.LIST;
}
