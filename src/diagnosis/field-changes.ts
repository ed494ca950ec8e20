import { NODE_WRITERS, writerField, writersOf, type NodeWriter } from './node-writers.js';
import type { EvidenceSource, FieldChanges, WriteActor } from './types.js';

/**
 * Which fields flip on each write of an object: consecutive versions (a watch's MODIFIED events,
 * an audit log's request bodies) compared path by path. Only the last version of each object and
 * counters are kept, never a history. Pure.
 */

/** Bookkeeping every write changes: not a field anyone fights over. */
const BOOKKEEPING = new Set([
  'metadata.resourceVersion',
  'metadata.managedFields',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.uid',
  'metadata.selfLink',
]);

/** Paths kept per object; past this, new paths are counted under "other fields". */
const MAX_PATHS = 40;
const OTHER = '(other fields)';
const MAX_ACTORS = 10;
const MAX_DEPTH = 5;

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array of objects each with a distinct string `type` (conditions) is keyed by it. */
function byType(list: Json[]): Map<string, Json> | null {
  const map = new Map<string, Json>();
  for (const item of list) {
    if (!isPlainObject(item) || typeof item.type !== 'string' || map.has(item.type)) return null;
    map.set(item.type, item);
  }
  return map;
}

const same = (a: Json, b: Json) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The paths at which `before` and `after` differ, e.g. status.conditions[type=Updated].lastUpdateTime.
 * Lists are compared whole unless keyed by type; a writer's field is one path (status.dockerInfo).
 */
export function changedPaths(
  before: Json,
  after: Json,
  writers: readonly NodeWriter[] = NODE_WRITERS,
): string[] {
  const out = new Set<string>();
  const walk = (a: Json, b: Json, path: string, depth: number) => {
    if (a === b) return;
    if (path && (BOOKKEEPING.has(path) || writerField(path, writers) === path)) {
      if (!BOOKKEEPING.has(path) && !same(a, b)) out.add(path);
      return;
    }
    if (isPlainObject(a) && isPlainObject(b) && depth < MAX_DEPTH) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], path ? `${path}.${key}` : key, depth + 1);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && depth < MAX_DEPTH) {
      const ka = byType(a);
      const kb = byType(b);
      if (ka && kb) {
        for (const type of new Set([...ka.keys(), ...kb.keys()]))
          walk(ka.get(type), kb.get(type), `${path}[type=${type}]`, depth + 1);
        return;
      }
    }
    if (!same(a, b)) out.add(path || '(whole object)');
  };
  walk(before, after, '', 0);
  return [...out].sort();
}

interface ObjectStats {
  last: Json;
  compared: number;
  unchanged: number;
  paths: Map<string, number>;
  /** Writes that touched a field of each writer. */
  writers: Map<string, number>;
  actors: Map<string, WriteActor>;
}

export interface FieldChangeCounter {
  /** The object's version after one write, with who wrote it when the source says (an audit log). */
  version(key: string, object: Json, actor?: { user: string; userAgent: string | null }): void;
  /** A write known only by the fields it sent (a patch's body): each of them counts as changed. */
  fields(key: string, sent: Json, actor?: { user: string; userAgent: string | null }): void;
  /** What the writes of `key` changed; null when no two versions of it were compared. */
  summary(key: string, source: EvidenceSource): FieldChanges | null;
}

export function createFieldChangeCounter(writers: readonly NodeWriter[] = NODE_WRITERS): FieldChangeCounter {
  const stats = new Map<string, ObjectStats>();
  const statsOf = (key: string, first: Json): { s: ObjectStats; fresh: boolean } => {
    const s = stats.get(key);
    if (s) return { s, fresh: false };
    const made = {
      last: first,
      compared: 0,
      unchanged: 0,
      paths: new Map(),
      writers: new Map(),
      actors: new Map(),
    };
    stats.set(key, made);
    return { s: made, fresh: true };
  };
  const count = (s: ObjectStats, paths: string[]) => {
    s.compared++;
    if (!paths.length) s.unchanged++;
    const touched = new Set<string>();
    for (const p of paths) {
      const counted = s.paths.has(p) || s.paths.size < MAX_PATHS ? p : OTHER;
      s.paths.set(counted, (s.paths.get(counted) ?? 0) + 1);
      for (const w of writersOf(p, writers)) touched.add(w);
    }
    for (const w of touched) s.writers.set(w, (s.writers.get(w) ?? 0) + 1);
  };
  const note = (s: ObjectStats, actor?: { user: string; userAgent: string | null }) => {
    if (!actor) return;
    const id = `${actor.user}\u0000${actor.userAgent ?? ''}`;
    const a = s.actors.get(id);
    if (a) a.writes++;
    else if (s.actors.size < MAX_ACTORS) s.actors.set(id, { ...actor, writes: 1 });
  };
  return {
    version(key, object, actor) {
      const { s, fresh } = statsOf(key, object);
      if (!fresh) {
        count(s, changedPaths(s.last, object, writers));
        s.last = object;
      }
      note(s, actor);
    },
    fields(key, sent, actor) {
      const { s } = statsOf(key, null);
      count(s, changedPaths({}, sent, writers));
      note(s, actor);
    },
    summary(key, source) {
      const s = stats.get(key);
      if (!s || (s.compared === 0 && !s.actors.size)) return null;
      const share = (n: number) => (s.compared ? Math.round((n / s.compared) * 1000) / 1000 : 0);
      const fields = [...s.paths]
        .map(([path, writes]) => ({ path, writes, share: share(writes), writers: writersOf(path, writers) }))
        .sort((a, b) => b.writes - a.writes || a.path.localeCompare(b.path));
      const byWriter = [...s.writers]
        .map(([name, writes]) => ({
          name,
          share: share(writes),
          fields: fields.filter((f) => f.writers.includes(name)).map((f) => f.path),
        }))
        .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name));
      return {
        source,
        compared: s.compared,
        unchanged: s.unchanged,
        fields,
        writers: byWriter,
        ...(s.actors.size
          ? {
              actors: [...s.actors.values()].sort(
                (a, b) => b.writes - a.writes || a.user.localeCompare(b.user),
              ),
            }
          : {}),
      };
    },
  };
}
