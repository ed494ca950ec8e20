/** Injected failures and authorization denials, matched per request. */
import type { FaultControl, FaultHandle, FaultSpec, ForbidRule } from './types.js';

interface ActiveFault {
  spec: FaultSpec;
  hits: number;
  limit: number;
}

interface ActiveForbid {
  rule: ForbidRule;
  hits: number;
}

export interface AccessCheck {
  cluster: string;
  user: string;
  verb: string;
  group: string;
  /** 'nodes' or 'pods/log'. */
  resource: string;
  namespace: string | null;
}

export class Faults implements FaultControl {
  private faults: ActiveFault[] = [];
  private forbids: ActiveForbid[] = [];

  inject(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, hits: 0, limit: spec.times ?? 1 };
    this.faults.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
      get remaining() {
        return Math.max(0, fault.limit - fault.hits);
      },
      remove: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  forbid(rule: ForbidRule): FaultHandle {
    const entry: ActiveForbid = { rule: { ...rule, group: rule.group ?? '' }, hits: 0 };
    this.forbids.push(entry);
    return {
      get hits() {
        return entry.hits;
      },
      remaining: Infinity,
      remove: () => {
        this.forbids = this.forbids.filter((f) => f !== entry);
      },
    };
  }

  clear(): void {
    this.faults = [];
    this.forbids = [];
  }

  /** The fault that takes this request, counted as a hit; null when none matches. */
  take(method: string, path: string, dryRun = false, watch = false): FaultSpec | null {
    for (const fault of this.faults) {
      if (fault.hits >= fault.limit) continue;
      const { spec } = fault;
      if (spec.method && spec.method.toUpperCase() !== method) continue;
      if (spec.dryRun !== undefined && spec.dryRun !== dryRun) continue;
      if (spec.watch !== undefined && spec.watch !== watch) continue;
      if (spec.path !== undefined) {
        const hit = typeof spec.path === 'string' ? path.includes(spec.path) : spec.path.test(path);
        if (!hit) continue;
      }
      fault.hits++;
      return spec;
    }
    return null;
  }

  isForbidden(check: AccessCheck): boolean {
    for (const entry of this.forbids) {
      const { rule } = entry;
      if (rule.verb !== '*' && rule.verb !== check.verb) continue;
      if (rule.group !== check.group || rule.resource !== check.resource) continue;
      if (rule.namespace !== undefined && rule.namespace !== check.namespace) continue;
      if (rule.user !== undefined && rule.user !== check.user) continue;
      if (rule.cluster !== undefined && rule.cluster !== check.cluster) continue;
      entry.hits++;
      return true;
    }
    return false;
  }
}
