/**
 * The second signal: the whole local apiserver's writes of node objects, from its /metrics, for
 * when the watch gives no per-object evidence (no contact, or no watch at all). The loop rule
 * judges the writes above the fleet's usual rate (what the watch last saw of the objects that do
 * not loop; none when it never saw any) as if they were one object's: a loop that the watch
 * cannot see is one object written far more than the rest.
 *
 * How it combines with the watch, so that one loop makes one message:
 * - it counts towards ALERT_FOR only while the watch is silent and has no incident of its own
 *   open: while the watch speaks, its per-object judgement is the one that holds;
 * - once open, it is judged on /metrics alone until under the rule for ALERT_RESOLVE_AFTER, and
 *   the watch's own incidents wait for it to end (the diagnosis it asked for, of every cluster,
 *   names the object with its buttons).
 */
import { isLooping, type LoopRuleSettings } from '../diagnosis/loop-rule.js';

export interface ClusterSignalSettings {
  rule: LoopRuleSettings;
  forMs: number;
  resolveAfterMs: number;
}

export interface ClusterJudgement {
  /** Writes a minute to node objects (all of them); null when unknown this interval. */
  perMinute: number | null;
  /** Writes counted over the rate's span. */
  writes: number;
  spanMs: number;
  /** The fleet's usual writes a minute, not counted as a loop. */
  usualPerMinute: number;
  /** The watch gives per-object evidence now, or has an incident of its own open. */
  watchSpeaks: boolean;
}

export type ClusterEvent = { type: 'fire'; since: number } | { type: 'resolve'; at: number };

export class ClusterSignal {
  private overSince: number | null = null;
  private underSince: number | null = null;
  private openSince: number | null = null;
  peakPerMinute = 0;

  constructor(private readonly settings: ClusterSignalSettings) {}

  /** The incident is open: since when. */
  get open(): number | null {
    return this.openSince;
  }

  /** An incident of this signal open before a restart or a takeover. */
  adopt(since: number, peakPerMinute: number): void {
    this.openSince = since;
    this.overSince = since;
    this.peakPerMinute = peakPerMinute;
  }

  /** Whether the writes above the usual are a loop by the rule. */
  over(j: ClusterJudgement): boolean {
    if (j.perMinute === null) return false;
    const excessPerMinute = Math.max(0, j.perMinute - j.usualPerMinute);
    const excessWrites = Math.max(0, j.writes - (j.usualPerMinute * j.spanMs) / 60_000);
    return isLooping({ writes: excessWrites, writesPerMinute: excessPerMinute }, 0, this.settings.rule);
  }

  /** One interval's judgement; an unknown rate changes nothing (no counts is no evidence). */
  judge(now: number, j: ClusterJudgement): ClusterEvent | null {
    if (j.perMinute === null) return null;
    const over = this.over(j);
    if (this.openSince === null) {
      if (!over || j.watchSpeaks) {
        this.overSince = null;
        return null;
      }
      this.overSince ??= now;
      if (now - this.overSince < this.settings.forMs) return null;
      this.openSince = this.overSince;
      this.underSince = null;
      this.peakPerMinute = j.perMinute;
      return { type: 'fire', since: this.openSince };
    }
    if (over) {
      this.underSince = null;
      this.peakPerMinute = Math.max(this.peakPerMinute, j.perMinute);
      return null;
    }
    this.underSince ??= now;
    if (now - this.underSince < this.settings.resolveAfterMs) return null;
    this.openSince = null;
    this.overSince = null;
    this.underSince = null;
    return { type: 'resolve', at: now };
  }
}

/** The apiserver-wide incident's key: the local apiserver and the resource it counts. */
export const CLUSTER_SIGNAL_FINGERPRINT = 'apiserver:local/nodes.management.cattle.io';
