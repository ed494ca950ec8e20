/**
 * One cluster's object store: what etcd plus the apiserver's watch cache are to a real cluster.
 * Stored objects are never mutated; each write stores a new object and its JSON, so that a LIST of
 * many objects is a string join and a watch event is serialised once.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import { errors } from './status.js';
import type { K8sObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEntry {
  key: string;
  obj: K8sObject;
  json: string;
}

export interface StoreEvent {
  rv: number;
  type: EventType;
  info: ResourceInfo;
  entry: StoredEntry;
  /** The object before a MODIFIED event (to tell selector-leaving updates apart). */
  previous: K8sObject | null;
}

interface Table {
  info: ResourceInfo;
  entries: Map<string, StoredEntry>;
  /** Sorted keys, rebuilt lazily after a create or delete. */
  sorted: string[] | null;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** When set, the stored resourceVersion must equal it (409 Conflict otherwise). */
  expectResourceVersion?: string;
}

const HISTORY_LIMIT = 20_000;

export function tableKey(info: ResourceInfo): string {
  return `${info.group}/${info.resource}`;
}

export function objectKey(namespace: string | null | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class ClusterStore {
  private rv = 1000;
  private readonly tables = new Map<string, Table>();
  private readonly history: StoreEvent[] = [];
  /** Watches and continue tokens older than this are expired (410). */
  private compactedRv = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(readonly name: string) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  /** Drop the event history, as etcd compaction does: older watches and continue tokens get 410. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  onEvent(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after rv, oldest first; null when rv is older than the retained history. */
  eventsSince(rv: number): StoreEvent[] | null {
    if (rv < this.compactedRv) return null;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  private table(info: ResourceInfo): Table {
    const key = tableKey(info);
    let table = this.tables.get(key);
    if (!table) {
      table = { info, entries: new Map(), sorted: null };
      this.tables.set(key, table);
    }
    return table;
  }

  get(info: ResourceInfo, namespace: string | null, name: string): StoredEntry | undefined {
    return this.tables.get(tableKey(info))?.entries.get(objectKey(info.namespaced ? namespace : null, name));
  }

  /** Entries in key order (namespace/name), optionally of one namespace, from after `startAfter`. */
  list(info: ResourceInfo, namespace: string | null, startAfter?: string): StoredEntry[] {
    const table = this.tables.get(tableKey(info));
    if (!table) return [];
    if (!table.sorted) table.sorted = [...table.entries.keys()].sort();
    let keys = table.sorted;
    if (namespace && info.namespaced) {
      const prefix = `${namespace}/`;
      const from = lowerBound(keys, prefix);
      let to = from;
      while (to < keys.length && keys[to]!.startsWith(prefix)) to++;
      keys = keys.slice(from, to);
    }
    if (startAfter !== undefined) keys = keys.slice(upperBound(keys, startAfter));
    return keys.map((k) => table.entries.get(k)!);
  }

  create(info: ResourceInfo, input: K8sObject, opts: WriteOptions = {}): StoredEntry {
    const table = this.table(info);
    const ns = info.namespaced ? (input.metadata.namespace ?? 'default') : null;
    const key = objectKey(ns, input.metadata.name);
    if (table.entries.has(key)) throw errors.alreadyExists(info, input.metadata.name);
    const rv = opts.dryRun ? this.rv : this.rv + 1;
    const obj = normalise(info, input, ns, {
      uid: input.metadata.uid ?? randomUUID(),
      creationTimestamp: input.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: 1,
      resourceVersion: String(rv),
    });
    const entry = { key, obj, json: JSON.stringify(obj) };
    if (opts.dryRun) return entry;
    this.rv = rv;
    table.entries.set(key, entry);
    table.sorted = null;
    this.emit({ rv, type: 'ADDED', info, entry, previous: null });
    return entry;
  }

  update(info: ResourceInfo, input: K8sObject, opts: WriteOptions = {}): StoredEntry {
    const table = this.table(info);
    const ns = info.namespaced ? (input.metadata.namespace ?? 'default') : null;
    const key = objectKey(ns, input.metadata.name);
    const current = table.entries.get(key);
    if (!current) throw errors.notFound(info, input.metadata.name);
    if (opts.expectResourceVersion && opts.expectResourceVersion !== current.obj.metadata.resourceVersion) {
      throw errors.conflict(info, input.metadata.name);
    }
    const rv = opts.dryRun ? this.rv : this.rv + 1;
    const specChanged = JSON.stringify(withoutMeta(input)) !== JSON.stringify(withoutMeta(current.obj));
    const obj = normalise(info, input, ns, {
      uid: current.obj.metadata.uid!,
      creationTimestamp: current.obj.metadata.creationTimestamp!,
      generation: (current.obj.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      resourceVersion: opts.dryRun ? current.obj.metadata.resourceVersion! : String(rv),
    });
    const entry = { key, obj, json: JSON.stringify(obj) };
    if (opts.dryRun) return entry;
    this.rv = rv;
    table.entries.set(key, entry);
    this.emit({ rv, type: 'MODIFIED', info, entry, previous: current.obj });
    return entry;
  }

  delete(info: ResourceInfo, namespace: string | null, name: string, opts: WriteOptions = {}): StoredEntry {
    const table = this.table(info);
    const key = objectKey(info.namespaced ? namespace : null, name);
    const current = table.entries.get(key);
    if (!current) throw errors.notFound(info, name);
    if (opts.dryRun) return current;
    this.rv += 1;
    table.entries.delete(key);
    table.sorted = null;
    // A deleted object is reported with the deletion's resourceVersion, as kube does.
    const obj = { ...current.obj, metadata: { ...current.obj.metadata, resourceVersion: String(this.rv) } };
    const entry = { key, obj, json: JSON.stringify(obj) };
    this.emit({ rv: this.rv, type: 'DELETED', info, entry, previous: current.obj });
    return entry;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of this.listeners) listener(event);
  }
}

function withoutMeta(obj: K8sObject): unknown {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

function normalise(
  info: ResourceInfo,
  input: K8sObject,
  namespace: string | null,
  meta: { uid: string; creationTimestamp: string; generation: number; resourceVersion: string },
): K8sObject {
  const { namespace: _ns, name, ...restMeta } = input.metadata;
  return {
    ...input,
    apiVersion: apiVersionOf(info),
    kind: info.kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...restMeta,
      ...meta,
    },
  };
}

function lowerBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
