import { isLooping, typicalRate, type LoopRuleSettings } from '../diagnosis/loop-rule.js';
import type { ObjectRate } from './write-window.js';

export interface LoopTrackerSettings {
  rule: LoopRuleSettings;
  /** Looping this long (ms) without a break raises the incident. */
  forMs: number;
  /** Not looping this long (ms) resolves it. */
  resolveAfterMs: number;
}

/** What one judgement found worth acting on. */
export type LoopEvent =
  | { type: 'fire'; key: string; since: number; writesPerMinute: number }
  | { type: 'rate'; key: string; writesPerMinute: number; peakPerMinute: number }
  | { type: 'resolve'; key: string; at: number; peakPerMinute: number; lastedMs: number };

interface Tracked {
  loopingSince: number | null;
  /** When the rule last said looping. */
  lastLoopingAt: number;
  fired: boolean;
  firedAt: number;
  peak: number;
}

/**
 * Turns the window's rates, judged every interval, into incidents: the loop rule (the one in
 * diagnosis/loop-rule.ts) must hold at every judgement for `forMs` before an object fires, and
 * fail at every judgement for `resolveAfterMs` before a fired object resolves. A short break
 * (one judgement under the rule) starts the count of a loop not yet fired afresh.
 */
export class LoopTracker {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly settings: LoopTrackerSettings) {}

  /** Objects whose incident is open (fired, not resolved). */
  get firing(): { key: string; since: number }[] {
    return [...this.tracked]
      .filter(([, t]) => t.fired)
      .map(([key, t]) => ({ key, since: t.loopingSince ?? t.firedAt }));
  }

  /** Marks an object as fired already (an incident open before a restart or a takeover). */
  adopt(key: string, since: number, peakPerMinute: number): void {
    this.tracked.set(key, {
      loopingSince: since,
      lastLoopingAt: since,
      fired: true,
      firedAt: since,
      peak: peakPerMinute,
    });
  }

  judge(now: number, rates: ObjectRate[]): LoopEvent[] {
    const { rule, forMs, resolveAfterMs } = this.settings;
    const typical = typicalRate(
      rates.map((r) => r.writesPerMinute),
      rule,
    );
    const events: LoopEvent[] = [];
    const seen = new Set<string>();
    for (const rate of rates) {
      if (!isLooping(rate, typical, rule)) continue;
      seen.add(rate.key);
      let t = this.tracked.get(rate.key);
      if (!t) {
        t = { loopingSince: now, lastLoopingAt: now, fired: false, firedAt: 0, peak: 0 };
        this.tracked.set(rate.key, t);
      }
      t.loopingSince ??= now;
      t.lastLoopingAt = now;
      const before = t.peak;
      t.peak = Math.max(t.peak, rate.writesPerMinute);
      if (!t.fired && now - t.loopingSince >= forMs) {
        t.fired = true;
        t.firedAt = now;
        events.push({
          type: 'fire',
          key: rate.key,
          since: t.loopingSince,
          writesPerMinute: rate.writesPerMinute,
        });
      } else if (t.fired && t.peak > before) {
        events.push({
          type: 'rate',
          key: rate.key,
          writesPerMinute: rate.writesPerMinute,
          peakPerMinute: t.peak,
        });
      }
    }
    for (const [key, t] of this.tracked) {
      if (seen.has(key)) continue;
      if (!t.fired) {
        this.tracked.delete(key);
        continue;
      }
      if (now - t.lastLoopingAt >= resolveAfterMs) {
        this.tracked.delete(key);
        events.push({
          type: 'resolve',
          key,
          at: now,
          peakPerMinute: t.peak,
          lastedMs: t.lastLoopingAt - (t.loopingSince ?? t.firedAt),
        });
      }
    }
    return events;
  }
}
