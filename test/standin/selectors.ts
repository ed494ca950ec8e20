/** Label and field selectors with kube-apiserver's syntax. Pure. */
import type { K8sObject } from './types.js';

export class SelectorError extends Error {}

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (obj: K8sObject) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

/** Split on commas outside parentheses ("a in (x,y),b" has two requirements). */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function parseRequirement(term: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { op: 'notexists', key: checkKey(m[1]!) };
  m = /^(\S+?)\s+(in|notin)\s+\((.*)\)$/.exec(term);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    return { op: m[2] as 'in' | 'notin', key: checkKey(m[1]!), values };
  }
  m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]!), value: m[3]!.trim() };
  if (/^\S+$/.test(term)) return { op: 'exists', key: checkKey(term) };
  throw new SelectorError(`unable to parse requirement: ${term}`);
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new SelectorError(`invalid label key "${key}"`);
  return key;
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'eq':
      return value === req.value;
    case 'neq':
      return value !== req.value;
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
  }
}

export function parseLabelSelector(selector: string | undefined): Matcher | null {
  if (!selector) return null;
  const reqs = splitTerms(selector).map(parseRequirement);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => matches(r, labels[r.key]));
  };
}

/** Field paths kube-apiserver supports per kind; metadata.name and metadata.namespace always. */
const FIELD_GETTERS: Record<string, (obj: K8sObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => str((o.spec as Record<string, unknown> | undefined)?.nodeName),
  'status.phase': (o) => str((o.status as Record<string, unknown> | undefined)?.phase),
  'spec.unschedulable': (o) =>
    String(Boolean((o.spec as Record<string, unknown> | undefined)?.unschedulable)),
  'status.podIP': (o) => str((o.status as Record<string, unknown> | undefined)?.podIP),
  'spec.restartPolicy': (o) => str((o.spec as Record<string, unknown> | undefined)?.restartPolicy),
  'spec.schedulerName': (o) => str((o.spec as Record<string, unknown> | undefined)?.schedulerName),
  'spec.serviceAccountName': (o) => str((o.spec as Record<string, unknown> | undefined)?.serviceAccountName),
};

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Field selectors: key=value, key==value, key!=value, comma-joined. */
export function parseFieldSelector(selector: string | undefined, kind: string): Matcher | null {
  if (!selector) return null;
  const reqs = splitTerms(selector).map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const getter = FIELD_GETTERS[m[1]!];
    const podOnly = m[1] !== 'metadata.name' && m[1] !== 'metadata.namespace';
    if (!getter || (podOnly && kind !== 'Pod' && !(kind === 'Node' && m[1] === 'spec.unschedulable'))) {
      throw new SelectorError(`field label not supported: ${m[1]}`);
    }
    return { getter, negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) => reqs.every((r) => (r.getter(obj) === r.value) !== r.negate);
}
