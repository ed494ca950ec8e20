/** Whether a PodDisruptionBudget forbids evicting a pod, as the eviction subresource decides. Pure. */
import { parseLabelSelector } from './selectors.js';
import type { K8sObject } from './types.js';

export interface Blocked {
  pdb: string;
  desiredHealthy: number;
  currentHealthy: number;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function isHealthy(pod: K8sObject): boolean {
  const status = (pod.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  if (pod.metadata.deletionTimestamp) return false;
  if (status.phase !== 'Running') return false;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : true;
}

export function selectorMatches(selector: LabelSelector | undefined, pod: K8sObject): boolean {
  if (!selector) return false;
  const terms: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) terms.push(`${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') terms.push(`${e.key} in ${values}`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin ${values}`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  // An empty selector in policy/v1 selects every pod of the namespace.
  if (terms.length === 0) return true;
  return parseLabelSelector(terms.join(','))!(pod);
}

function resolve(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.endsWith('%')) {
    const exact = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}

/** The first budget that would be violated by evicting `pod`, or null when the eviction is allowed. */
export function evictionBlockedBy(
  pod: K8sObject,
  podsInNamespace: K8sObject[],
  pdbs: K8sObject[],
): Blocked | null {
  // Evicting a pod that is not healthy takes nothing away from a budget.
  if (!isHealthy(pod)) return null;
  for (const pdb of pdbs) {
    const spec = (pdb.spec ?? {}) as {
      selector?: LabelSelector;
      minAvailable?: unknown;
      maxUnavailable?: unknown;
    };
    if (!selectorMatches(spec.selector, pod)) continue;
    const matching = podsInNamespace.filter((p) => selectorMatches(spec.selector, p));
    const currentHealthy = matching.filter(isHealthy).length;
    const expected = matching.length;
    let desiredHealthy: number;
    if (spec.maxUnavailable !== undefined) {
      desiredHealthy = expected - resolve(spec.maxUnavailable, expected, true);
    } else {
      desiredHealthy = resolve(spec.minAvailable ?? 1, expected, true);
    }
    if (currentHealthy - desiredHealthy < 1)
      return { pdb: pdb.metadata.name, desiredHealthy, currentHealthy };
  }
  return null;
}
