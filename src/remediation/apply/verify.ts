import {
  CHURN_LOOP_RULE,
  hasStoppedLooping,
  isLooping,
  type LoopRuleSettings,
} from '../../diagnosis/loop-rule.js';
import type { LocalClusterReader } from '../../diagnosis/ports.js';

/**
 * After the fix: are the object's writes back to what a healthy node object gets? A healthy one
 * still gets heartbeat writes, so "stopped" is the loop rule's "not looping" and no faster than
 * its healthy sibling, measured over the same window; not zero.
 */

export interface VerifySettings {
  /** Wait before measuring, so that Rancher has picked the fix up. */
  delaySeconds: number;
  /** How long the writes are counted. */
  windowSeconds: number;
  rule: LoopRuleSettings;
}

export const DEFAULT_VERIFY_SETTINGS: VerifySettings = {
  delaySeconds: 120,
  windowSeconds: 60,
  rule: CHURN_LOOP_RULE,
};

export interface VerifyTarget {
  clusterId: string;
  nodeId: string;
  /** A healthy node object of the same cluster (the plan's sibling), when there is one. */
  siblingId: string | null;
  /** Writes a minute the diagnosis measured, for the message. */
  beforePerMinute: number | null;
}

export interface VerifyDeps {
  watchNodeObjects: LocalClusterReader['watchNodeObjects'];
  /** Waits `ms` (a timer in production, a fake clock in tests); resolves early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface VerifyResult {
  /** stopped: under the rule and no faster than the sibling; looping: the rule still says so; unclear: neither (no sibling to compare with, or faster than it). */
  verdict: 'stopped' | 'looping' | 'unclear';
  writes: number;
  writesPerMinute: number;
  siblingWritesPerMinute: number | null;
  beforePerMinute: number | null;
  windowSeconds: number;
}

export async function verifyLoopStopped(
  deps: VerifyDeps,
  target: VerifyTarget,
  settings: VerifySettings = DEFAULT_VERIFY_SETTINGS,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  await deps.sleep(settings.delaySeconds * 1000, signal);
  let writes = 0;
  let siblingWrites = 0;
  await deps.watchNodeObjects(
    { namespace: target.clusterId, seconds: settings.windowSeconds },
    (event) => {
      // ADDED replays what exists when the watch starts: only changes are writes.
      if (event.type !== 'MODIFIED' || !event.object) return;
      if (event.object.metadata.name === target.nodeId) writes++;
      else if (event.object.metadata.name === target.siblingId) siblingWrites++;
    },
    signal,
  );
  const minutes = settings.windowSeconds / 60;
  const writesPerMinute = writes / minutes;
  const siblingWritesPerMinute = target.siblingId === null ? null : siblingWrites / minutes;
  const count = { writes, writesPerMinute };
  const typical = siblingWritesPerMinute ?? 0;
  const verdict = isLooping(count, typical, settings.rule)
    ? 'looping'
    : hasStoppedLooping(count, siblingWritesPerMinute, typical, settings.rule)
      ? 'stopped'
      : 'unclear';
  return {
    verdict,
    writes,
    writesPerMinute,
    siblingWritesPerMinute,
    beforePerMinute: target.beforePerMinute,
    windowSeconds: settings.windowSeconds,
  };
}

const perMinute = (n: number) => `${Math.round(n).toLocaleString('en-US')}/min`;

/**
 * The result in one line, for the report's thread and the CLI: "loop stopped: 2 writes/min, like
 * its sibling (was 1,190/min)", "still looping: 870 writes/min (...)".
 */
export function verificationWords(result: VerifyResult): string {
  const now = `${Math.round(result.writesPerMinute).toLocaleString('en-US')} writes/min`;
  const was = result.beforePerMinute === null ? '' : ` (was ${perMinute(result.beforePerMinute)})`;
  const sibling =
    result.siblingWritesPerMinute === null
      ? 'no healthy sibling to compare with'
      : `its sibling ${perMinute(result.siblingWritesPerMinute)}`;
  switch (result.verdict) {
    case 'stopped':
      return `loop stopped: ${now}, like its sibling${was}`;
    case 'looping':
      return `still looping: ${now}${was}; next: drain and remove the node (fix B)`;
    case 'unclear':
      return `not clearly stopped: ${now}, ${sibling}${was}; measure again later`;
  }
}
