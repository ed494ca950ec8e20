/**
 * The resource handlers of one cluster's API: GET/LIST/WATCH, POST, PUT, PATCH, DELETE, and the
 * pods/log and pods/eviction subresources.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crdList, getCrd } from './crds.js';
import { evictionBlockedBy } from './eviction.js';
import { terminatePod } from './kubelet.js';
import { jsonPatch, mergePatch, patchTypeOf, strategicMergePatch } from './patch.js';
import { format, type LogQuery, type PodLogStore } from './podlogs.js';
import { apiVersionOf, type ResourceInfo, type ResourceRegistry } from './resources.js';
import { sendJson, sendText } from './respond.js';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Matcher } from './selectors.js';
import { ApiError, errors, successStatus } from './status.js';
import type { ClusterStore, StoreEvent, StoredEntry } from './store.js';
import type { K8sObject } from './types.js';

export interface ClusterState {
  name: string;
  store: ClusterStore;
  registry: ResourceRegistry;
}

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  cluster: ClusterState;
  logs: PodLogStore;
  info: ResourceInfo;
  namespace: string | null;
  name: string | null;
  subresource: string | null;
  query: URLSearchParams;
  body: Buffer;
  /** Milliseconds now, for log selection. */
  now: number;
  /** Register cleanup for long-running answers (watch, log follow) when the server closes. */
  track(stop: () => void, kind?: 'watch' | 'log'): () => void;
}

/** The verb an authorizer sees for this request. */
export function verbOf(method: string, hasName: boolean, query: URLSearchParams): string {
  const watching = isTrue(query.get('watch'));
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watching ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function intParam(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid value for ${key}: ${raw}`);
  return n;
}

function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw errors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function matchersOf(r: ResourceRequest): { label: Matcher | null; field: Matcher | null } {
  try {
    return {
      label: parseLabelSelector(r.query.get('labelSelector') ?? undefined),
      field: parseFieldSelector(r.query.get('fieldSelector') ?? undefined, r.info.kind),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

function selected(obj: K8sObject, m: { label: Matcher | null; field: Matcher | null }): boolean {
  return (!m.label || m.label(obj)) && (!m.field || m.field(obj));
}

export async function handleResource(r: ResourceRequest): Promise<void> {
  const method = r.req.method ?? 'GET';
  if (r.subresource === 'log') return handleLog(r);
  if (r.subresource === 'eviction') {
    if (method !== 'POST') throw errors.methodNotAllowed();
    return handleEviction(r);
  }
  if (r.subresource && r.subresource !== 'status') throw errors.pathNotFound();
  // A custom resource has /status only when its CRD declares the subresource.
  if (r.subresource === 'status' && !hasStatusSubresource(r.info) && !r.info.builtin)
    throw errors.pathNotFound();
  if (r.info.group === 'apiextensions.k8s.io' && r.info.resource === 'customresourcedefinitions')
    return handleCrd(r, method);
  switch (method) {
    case 'GET':
      if (isTrue(r.query.get('watch'))) return handleWatch(r);
      return r.name ? handleGet(r) : handleList(r);
    case 'POST':
      if (r.name) throw errors.methodNotAllowed();
      return handleCreate(r);
    case 'PUT':
      return handleReplace(r);
    case 'PATCH':
      return handlePatch(r);
    case 'DELETE':
      return handleDelete(r);
    default:
      throw errors.methodNotAllowed();
  }
}

function hasStatusSubresource(info: ResourceInfo): boolean {
  return info.subresources.includes('status');
}

/**
 * With a status subresource, kube's custom resource strategy keeps the stored status on writes to
 * the main resource (a create starts without one) and only takes status on /status.
 */
function statusKept(r: ResourceRequest, next: K8sObject, current: K8sObject | null): K8sObject {
  if (r.info.builtin || !hasStatusSubresource(r.info) || r.subresource === 'status') return next;
  const { status: _ignored, ...rest } = next;
  return current && current.status !== undefined ? { ...rest, status: current.status } : rest;
}

/** The definitions follow the registry: read-only here, as the product only reads them. */
function handleCrd(r: ResourceRequest, method: string): void {
  if (method !== 'GET' || isTrue(r.query.get('watch'))) throw errors.methodNotAllowed();
  const registry = r.cluster.registry;
  if (r.name) sendJson(r.res, 200, getCrd(registry, r.info, r.name));
  else sendJson(r.res, 200, crdList(registry, r.info));
}

function requireEntry(r: ResourceRequest, name: string): StoredEntry {
  const entry = r.cluster.store.get(r.info, r.namespace, name);
  if (!entry) throw errors.notFound(r.info, name);
  return entry;
}

function handleGet(r: ResourceRequest): void {
  sendJson(r.res, 200, requireEntry(r, r.name!).json);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'standin/1', ...token })).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return parsed as ContinueToken;
  } catch {
    // fall through to the apiserver's answer for a malformed token
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

function handleList(r: ResourceRequest): void {
  const { store } = r.cluster;
  const matchers = matchersOf(r);
  const limit = intParam(r.query, 'limit');
  const rawContinue = r.query.get('continue');
  let startAfter: string | undefined;
  let listRv = store.resourceVersion;
  if (rawContinue) {
    const token = decodeContinue(rawContinue);
    if (token.rv < store.oldestResourceVersion) {
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    startAfter = token.start;
    listRv = token.rv;
  }
  const entries = store.list(r.info, r.namespace, startAfter);
  const items: string[] = [];
  let lastKey: string | undefined;
  let more = false;
  let remaining = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (!selected(entry.obj, matchers)) continue;
    if (limit !== undefined && limit > 0 && items.length === limit) {
      more = true;
      for (let j = i; j < entries.length; j++) if (selected(entries[j]!.obj, matchers)) remaining++;
      break;
    }
    items.push(entry.json);
    lastKey = entry.key;
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (more && lastKey !== undefined) {
    metadata.continue = encodeContinue({ rv: listRv, start: lastKey });
    // kube reports the count only without selectors, where it is cheap and exact.
    if (!matchers.label && !matchers.field) metadata.remainingItemCount = remaining;
  }
  const head = `{"kind":${JSON.stringify(`${r.info.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(r.info))},"metadata":${JSON.stringify(metadata)},"items":[`;
  sendJson(r.res, 200, `${head}${items.join(',')}]}`);
}

function dryRunOf(r: ResourceRequest): boolean {
  const values = r.query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}`);
  return values.length > 0;
}

/** The object from a request body, with the path's namespace and name checked against it. */
function objectFromBody(r: ResourceRequest, raw: unknown): K8sObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw errors.badRequest('the request body must be an object');
  const obj = raw as K8sObject;
  const metadata = (obj.metadata ?? {}) as K8sObject['metadata'];
  if (obj.kind !== undefined && obj.kind !== r.info.kind) {
    throw errors.badRequest(
      `the kind of the object (${obj.kind}) does not match the kind of the request (${r.info.kind})`,
    );
  }
  if (r.info.namespaced && metadata.namespace && r.namespace && metadata.namespace !== r.namespace) {
    throw errors.badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  const out: K8sObject = {
    ...obj,
    apiVersion: apiVersionOf(r.info),
    kind: r.info.kind,
    metadata: {
      ...metadata,
      ...(r.info.namespaced ? { namespace: r.namespace ?? metadata.namespace ?? 'default' } : {}),
    },
  };
  if (!r.info.namespaced) delete out.metadata.namespace;
  return out;
}

function handleCreate(r: ResourceRequest): void {
  const obj = objectFromBody(r, parseBody(r.body));
  if (!obj.metadata.name) {
    const generateName = obj.metadata.generateName;
    if (typeof generateName !== 'string' || !generateName) {
      throw errors.invalid(r.info, '', [
        { field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
    }
    obj.metadata.name = `${generateName}${Math.random().toString(36).slice(2, 7)}`;
  }
  validateName(r.info, obj.metadata.name);
  const entry = r.cluster.store.create(r.info, statusKept(r, obj, null), { dryRun: dryRunOf(r) });
  sendJson(r.res, 201, entry.json);
}

function validateName(info: ResourceInfo, name: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw errors.invalid(info, name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ]);
  }
}

function handleReplace(r: ResourceRequest): void {
  const obj = objectFromBody(r, parseBody(r.body));
  if (obj.metadata.name !== r.name) {
    throw errors.badRequest(
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${r.name})`,
    );
  }
  const current = requireEntry(r, r.name!);
  const rv = obj.metadata.resourceVersion;
  // Custom resources refuse unconditional updates; core kinds such as pods and nodes allow them.
  if (!rv && !r.info.builtin) {
    throw errors.invalid(r.info, r.name!, [
      { field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
    ]);
  }
  const next =
    r.subresource === 'status' ? { ...current.obj, status: obj.status } : statusKept(r, obj, current.obj);
  const entry = r.cluster.store.update(r.info, next, { dryRun: dryRunOf(r), expectResourceVersion: rv });
  sendJson(r.res, 200, entry.json);
}

function handlePatch(r: ResourceRequest): void {
  const type = patchTypeOf(r.req.headers['content-type']);
  if (!type || type === 'apply') throw errors.unsupportedMediaType(r.req.headers['content-type'] ?? '');
  if (type === 'strategic' && !r.info.builtin)
    throw errors.unsupportedMediaType(r.req.headers['content-type'] ?? '');
  const current = requireEntry(r, r.name!);
  const patch = parseBody(r.body);
  let patched: unknown;
  if (type === 'merge') patched = mergePatch(current.obj, patch);
  else if (type === 'json') patched = jsonPatch(current.obj, patch);
  else patched = strategicMergePatch(current.obj, patch);
  const obj = objectFromBody(r, patched);
  if (obj.metadata.name !== r.name)
    throw errors.badRequest('the name of the object cannot be changed by a patch');
  const next =
    r.subresource === 'status' ? { ...current.obj, status: obj.status } : statusKept(r, obj, current.obj);
  // A resourceVersion in the patch is a precondition, as with PUT.
  const expect =
    next.metadata.resourceVersion !== current.obj.metadata.resourceVersion
      ? next.metadata.resourceVersion
      : undefined;
  const entry = r.cluster.store.update(r.info, next, { dryRun: dryRunOf(r), expectResourceVersion: expect });
  sendJson(r.res, 200, entry.json);
}

function handleDelete(r: ResourceRequest): void {
  if (!r.name) throw errors.methodNotAllowed();
  const dryRun = dryRunOf(r);
  const current = requireEntry(r, r.name);
  if (r.body.length > 0) {
    const options = parseBody(r.body) as { preconditions?: { resourceVersion?: string; uid?: string } };
    const pre = options.preconditions;
    if (pre?.resourceVersion && pre.resourceVersion !== current.obj.metadata.resourceVersion)
      throw errors.conflict(r.info, r.name);
    if (pre?.uid && pre.uid !== current.obj.metadata.uid) throw errors.conflict(r.info, r.name);
  }
  const entry = r.cluster.store.delete(r.info, r.namespace, r.name, { dryRun });
  // As kube's generic store: the object where the resource's storage returns it (pods, services,
  // ...), else a Success Status with the name, group, resource (as "kind") and uid (nodes, custom
  // resources, ...). Objects are deleted at once here: finalizers and grace periods are not modelled.
  if (r.info.deleteReturnsObject) sendJson(r.res, 200, entry.json);
  else sendJson(r.res, 200, successStatus(r.info, r.name, entry.obj.metadata.uid));
}

function handleEviction(r: ResourceRequest): void {
  const pod = requireEntry(r, r.name!).obj;
  const dryRun = dryRunOf(r) || (r.body.length > 0 && hasDryRun(parseBody(r.body)));
  const pdbInfo = r.cluster.registry.lookup('policy', 'v1', 'poddisruptionbudgets')!;
  const pdbs = r.cluster.store.list(pdbInfo, r.namespace).map((e) => e.obj);
  const pods = r.cluster.store.list(r.info, r.namespace).map((e) => e.obj);
  const blocked = evictionBlockedBy(pod, pods, pdbs);
  if (blocked) {
    throw errors.tooManyRequests(
      "Cannot evict pod as it would violate the pod's disruption budget.",
      undefined,
      [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${blocked.pdb} needs ${blocked.desiredHealthy} healthy pods and has ${blocked.currentHealthy} currently`,
        },
      ],
    );
  }
  if (!dryRun) terminatePod(r.cluster, r.info, pod);
  sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

function hasDryRun(body: unknown): boolean {
  const options = (body as { deleteOptions?: { dryRun?: string[] } } | null)?.deleteOptions;
  return Array.isArray(options?.dryRun) && options.dryRun.includes('All');
}

function containerOf(r: ResourceRequest, pod: K8sObject): string {
  const containers = (((pod.spec ?? {}) as { containers?: { name: string }[] }).containers ?? []).map(
    (c) => c.name,
  );
  const asked = r.query.get('container');
  if (asked) {
    if (!containers.includes(asked))
      throw errors.badRequest(`container ${asked} is not valid for pod ${pod.metadata.name}`);
    return asked;
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) return '';
  throw errors.badRequest(
    `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]`,
  );
}

function handleLog(r: ResourceRequest): void {
  if (r.info.resource !== 'pods' || r.req.method !== 'GET') throw errors.methodNotAllowed();
  const pod = requireEntry(r, r.name!).obj;
  const container = containerOf(r, pod);
  const query: LogQuery = {
    tailLines: intParam(r.query, 'tailLines'),
    sinceSeconds: intParam(r.query, 'sinceSeconds'),
    sinceTime: r.query.get('sinceTime') ?? undefined,
    limitBytes: intParam(r.query, 'limitBytes'),
    timestamps: isTrue(r.query.get('timestamps')),
  };
  const lines = r.logs.select(r.cluster.name, r.namespace!, r.name!, container, query, r.now);
  let budget = query.limitBytes ?? Infinity;
  const take = (text: string): string => {
    if (budget <= 0) return '';
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= budget) {
      budget -= bytes.length;
      return text;
    }
    const cut = bytes.subarray(0, budget).toString('utf8');
    budget = 0;
    return cut;
  };
  if (!isTrue(r.query.get('follow'))) {
    sendText(r.res, 200, lines.map(take).join(''));
    return;
  }
  r.res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  // The kubelet answers at once, before any line: a quiet pod's `kubectl logs -f` must not hang.
  r.res.flushHeaders();
  for (const line of lines) r.res.write(take(line));
  if (budget <= 0) {
    r.res.end();
    return;
  }
  const podInfo = r.info;
  const stopFollowing = r.logs.follow(r.cluster.name, r.namespace!, r.name!, container, (line) => {
    r.res.write(take(format(line, query.timestamps ?? false)));
    if (budget <= 0) stop();
  });
  // The stream ends when the pod goes away, as kubelet's does when the container is removed.
  const stopWatchingPod = r.cluster.store.onEvent((event) => {
    if (
      event.type === 'DELETED' &&
      event.info === podInfo &&
      event.entry.obj.metadata.name === r.name &&
      event.entry.obj.metadata.namespace === r.namespace
    )
      stop();
  });
  const untrack = r.track(() => stop());
  function stop(): void {
    stopFollowing();
    stopWatchingPod();
    untrack();
    if (!r.res.writableEnded) r.res.end();
  }
  r.res.on('close', stop);
}

const DEFAULT_WATCH_TIMEOUT_S = 1800;

function handleWatch(r: ResourceRequest): void {
  const { store } = r.cluster;
  const matchers = matchersOf(r);
  if (r.name) {
    // A watch on an object's own path watches that name, as kube turns it into metadata.name=<name>.
    const { name, field } = { name: r.name, field: matchers.field };
    matchers.field = (obj) => obj.metadata.name === name && (!field || field(obj));
  }
  const rvParam = r.query.get('resourceVersion');
  const timeoutSeconds = intParam(r.query, 'timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_S;
  const bookmarks = isTrue(r.query.get('allowWatchBookmarks'));
  let backlog: StoreEvent[] | null = [];
  let initial: StoredEntry[] = [];
  const fromRv = rvParam && rvParam !== '0' ? Number(rvParam) : null;
  if (fromRv !== null) {
    if (!Number.isInteger(fromRv)) throw errors.badRequest(`invalid resource version: ${rvParam}`);
    backlog = store.eventsSince(fromRv);
  } else {
    initial = store.list(r.info, r.namespace).filter((e) => selected(e.obj, matchers));
  }
  r.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  // Headers go out at once, as kube-apiserver's do, even when no event is due yet.
  r.res.flushHeaders();
  const write = (type: string, json: string) => r.res.write(`{"type":"${type}","object":${json}}\n`);
  if (backlog === null) {
    const status = errors.expired(
      `too old resource version: ${fromRv} (${store.oldestResourceVersion})`,
    ).status;
    write('ERROR', JSON.stringify({ ...status, reason: 'Expired' }));
    r.res.end();
    return;
  }
  for (const entry of initial) write('ADDED', entry.json);
  const deliver = (event: StoreEvent) => {
    if (event.info !== r.info) return;
    const obj = event.entry.obj;
    if (r.namespace && r.info.namespaced && obj.metadata.namespace !== r.namespace) return;
    const now = selected(obj, matchers);
    const before = event.previous ? selected(event.previous, matchers) : false;
    if (event.type === 'MODIFIED') {
      if (now) write(before ? 'MODIFIED' : 'ADDED', event.entry.json);
      else if (before) write('DELETED', event.entry.json);
    } else if (now) {
      write(event.type, event.entry.json);
    }
  };
  for (const event of backlog) deliver(event);
  if (bookmarks) {
    write(
      'BOOKMARK',
      JSON.stringify({
        kind: r.info.kind,
        apiVersion: apiVersionOf(r.info),
        metadata: { resourceVersion: String(store.resourceVersion) },
      }),
    );
  }
  const unsubscribe = store.onEvent(deliver);
  const timer = setTimeout(() => stop(), timeoutSeconds * 1000);
  const untrack = r.track(() => stop(), 'watch');
  function stop(): void {
    clearTimeout(timer);
    unsubscribe();
    untrack();
    if (!r.res.writableEnded) r.res.end();
  }
  r.res.on('close', stop);
}

export { ApiError };
