import { describe, expect, it } from '@jest/globals';
import { LoopTracker } from '../../src/alerts/loop-tracker.js';
import { WriteWindow } from '../../src/alerts/write-window.js';
import { CHURN_LOOP_RULE } from '../../src/diagnosis/loop-rule.js';
import { parseApiserverMetrics } from '../../src/rancher/metrics-text.js';
import { apiserverMetricsText } from '../standin/metrics.js';

describe('the write window', () => {
  it('counts writes within the window only, and forgets objects no longer written', () => {
    const w = new WriteWindow(60, 0);
    for (let s = 0; s < 60; s++) w.add('c/hot', s * 1000);
    w.add('c/calm', 1000);
    expect(w.rates(60_000).find((r) => r.key === 'c/hot')).toEqual({
      key: 'c/hot',
      writes: 59,
      writesPerMinute: 59,
    });
    expect(w.rates(200_000)).toEqual([]);
    expect(w.size).toBe(0);
  });

  it('a window younger than its length counts over the time it has run', () => {
    const w = new WriteWindow(60, 0);
    for (let i = 0; i < 10; i++) w.add('c/hot', 100 * i);
    expect(w.rates(10_000)[0]!.writesPerMinute).toBe(60);
  });
});

describe('the loop tracker', () => {
  const settings = { rule: CHURN_LOOP_RULE, forMs: 60_000, resolveAfterMs: 300_000 };
  const hot = (n: number) => [{ key: 'c/hot', writes: n, writesPerMinute: n }];

  it('fires once the rule has held for ALERT_FOR, and resolves after ALERT_RESOLVE_AFTER under it', () => {
    const t = new LoopTracker(settings);
    expect(t.judge(0, hot(600))).toEqual([]);
    expect(t.judge(30_000, hot(600))).toEqual([]);
    expect(t.judge(60_000, hot(600))).toEqual([
      { type: 'fire', key: 'c/hot', since: 0, writesPerMinute: 600 },
    ]);
    expect(t.judge(70_000, hot(1300))).toEqual([
      { type: 'rate', key: 'c/hot', writesPerMinute: 1300, peakPerMinute: 1300 },
    ]);
    expect(t.judge(200_000, [])).toEqual([]);
    expect(t.judge(370_000, [])).toEqual([
      { type: 'resolve', key: 'c/hot', at: 370_000, peakPerMinute: 1300, lastedMs: 70_000 },
    ]);
  });

  it('a break before ALERT_FOR starts the count again', () => {
    const t = new LoopTracker(settings);
    t.judge(0, hot(600));
    t.judge(50_000, []);
    expect(t.judge(70_000, hot(600))).toEqual([]);
    expect(t.judge(130_000, hot(600))[0]).toMatchObject({ type: 'fire', since: 70_000 });
  });
});

describe("the apiserver's /metrics", () => {
  it('reads node object writes (PUT and PATCH, every code) and resident memory', () => {
    const text = apiserverMetricsText({ requests: [], loopNodeWrites: 120 });
    expect(parseApiserverMetrics(text)).toEqual({
      nodeWrites: 120,
      residentMemoryBytes: 400 * 1024 * 1024 + 120 * 2048,
    });
    const more = `${text}apiserver_request_total{code="409",group="management.cattle.io",resource="nodes",verb="PATCH"} 3\n`;
    expect(parseApiserverMetrics(more).nodeWrites).toBe(123);
  });
});
