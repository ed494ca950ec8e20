import { nodeAddresses, nodeHostname, nodeRoles } from '../../diagnosis/nodes.js';
import type { ManagementNode } from '../../diagnosis/objects.js';
import type { PatchBasis, PatchPlan } from '../../diagnosis/types.js';

/**
 * What a patch plan stands on, and whether a later read of the object still stands on it. The loop
 * rewrites the object many times a second (the Updated condition's time, the agent's docker info):
 * none of that is a change here, only what the patch is built from. Pure.
 */
export function patchBasis(node: ManagementNode): PatchBasis {
  return {
    addresses: nodeAddresses(node)
      .map((a) => `${a.type}=${a.address}`)
      .sort(),
    hostname: node.spec.requestedHostname || nodeHostname(node),
    roles: nodeRoles(node),
    rkeNodeAbsent: node.status.rkeNode == null,
    customConfigAbsent: node.spec.customConfig == null,
  };
}

/** How far the object is from the plan's fix: which of its two parts are in place already. */
export interface FixProgress {
  /** spec.customConfig holds what the plan writes (or the plan writes none). */
  specInPlace: boolean;
  /** status.rkeNode holds what the plan writes (or the plan writes none). */
  statusInPlace: boolean;
}

export function fixProgress(node: ManagementNode, plan: Pick<PatchPlan, 'mergePatch'>): FixProgress {
  const { spec, status } = planParts(plan);
  return {
    specInPlace: spec === null || contains(node.spec, spec),
    statusInPlace: status === null || contains(node.status, status),
  };
}

/** The plan's merge patch split into what goes to spec and what goes to status. */
export function planParts(plan: Pick<PatchPlan, 'mergePatch'>): {
  spec: Record<string, unknown> | null;
  status: Record<string, unknown> | null;
} {
  const part = (key: string) => {
    const value = plan.mergePatch[key];
    return isObject(value) && Object.keys(value).length ? value : null;
  };
  return { spec: part('spec'), status: part('status') };
}

/**
 * The changes between the plan's basis and the object now, in words; empty when it still stands.
 * A part of the fix already in place (a resumed write) is not a change.
 */
export function basisChanges(planned: PatchBasis, node: ManagementNode, progress: FixProgress): string[] {
  const now = patchBasis(node);
  const changes: string[] = [];
  if (planned.addresses.join(',') !== now.addresses.join(','))
    changes.push(`addresses: ${list(planned.addresses)} → ${list(now.addresses)}`);
  if (planned.hostname !== now.hostname)
    changes.push(`hostname: ${planned.hostname ?? '(none)'} → ${now.hostname ?? '(none)'}`);
  if (planned.roles.join(',') !== now.roles.join(','))
    changes.push(`roles: ${list(planned.roles)} → ${list(now.roles)}`);
  if (planned.rkeNodeAbsent && !now.rkeNodeAbsent && !progress.statusInPlace)
    changes.push('status.rkeNode was set by someone else');
  if (planned.customConfigAbsent && !now.customConfigAbsent && !progress.specInPlace)
    changes.push('spec.customConfig was set by someone else');
  return changes;
}

const list = (values: string[]) => (values.length ? values.join(', ') : '(none)');

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `actual` holds every value of `expected` (objects compared key by key, the rest whole). */
function contains(actual: unknown, expected: unknown): boolean {
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    return Object.entries(expected).every(([k, v]) => contains(actual[k], v));
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((v, i) => contains(actual[i], v))
    );
  }
  return actual === expected;
}
