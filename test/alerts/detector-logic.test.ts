import { describe, expect, it } from '@jest/globals';
import { ApiserverRate } from '../../src/alerts/apiserver-rate.js';
import { ClusterSignal } from '../../src/alerts/cluster-signal.js';
import { LoopTracker } from '../../src/alerts/loop-tracker.js';
import { WriteWindow } from '../../src/alerts/write-window.js';
import { CHURN_LOOP_RULE } from '../../src/diagnosis/loop-rule.js';
import { parseApiserverMetrics } from '../../src/rancher/metrics-text.js';
import { ApiserverCounters, apiserverMetricsText } from '../standin/metrics.js';

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
  it('reads node object writes (PUT and PATCH, every code), resident memory and the start time', () => {
    const text = apiserverMetricsText({ counts: new Map(), loopNodeWrites: 120, startTime: 1700000000 });
    expect(parseApiserverMetrics(text)).toEqual({
      nodeWrites: 120,
      residentMemoryBytes: 400 * 1024 * 1024 + 120 * 2048,
      processStartTime: 1700000000,
    });
    const more = `${text}apiserver_request_total{code="409",group="management.cattle.io",resource="nodes",verb="PATCH"} 3\n`;
    expect(parseApiserverMetrics(more).nodeWrites).toBe(123);
  });

  it("the stand-in's counters only grow, until a restart starts them afresh under a new start time", () => {
    const counters = new ApiserverCounters(1_700_000_000_000);
    const before = parseApiserverMetrics(counters.text(500));
    counters.restart(500, 1_700_000_000_000);
    const after = parseApiserverMetrics(counters.text(530));
    expect(before.nodeWrites).toBe(500);
    expect(after.nodeWrites).toBe(30);
    expect(after.processStartTime).toBeGreaterThan(before.processStartTime!);
  });
});

describe('the apiserver write rate', () => {
  const sample = (at: number, nodeWrites: number, start = 1, memory = 1000) => ({
    at,
    nodeWrites,
    residentMemoryBytes: memory,
    processStartTime: start,
  });

  it('is the counter increase over the window, with the memory growth over the same span', () => {
    const r = new ApiserverRate(60_000);
    r.add(sample(0, 100, 1, 1000));
    expect(r.now().perMinute).toBeNull();
    r.add(sample(30_000, 400, 1, 1500));
    r.add(sample(60_000, 700, 1, 2000));
    expect(r.now()).toEqual({
      perMinute: 600,
      writes: 600,
      memoryBytes: 2000,
      memoryGrowthBytes: 1000,
      spanMs: 60_000,
    });
    r.add(sample(90_000, 730, 1, 2100));
    expect(r.now()).toMatchObject({ perMinute: 330, writes: 330, spanMs: 60_000 });
  });

  it('a counter reset (a restart, or another apiserver behind the address) is never negative nor huge', () => {
    const r = new ApiserverRate(60_000);
    r.add(sample(0, 50_000, 1));
    r.add(sample(10_000, 50_100, 1));
    // Restarted: the counter starts from zero again.
    r.add(sample(20_000, 20, 2));
    expect(r.now().perMinute).toBeNull();
    r.add(sample(30_000, 120, 2));
    expect(r.now().perMinute).toBe(600);
    // Another process whose counter happens to be higher: not a rise of 90,000 writes.
    r.add(sample(40_000, 90_000, 3));
    expect(r.now().perMinute).toBeNull();
    // The same start time but a lower counter is a reset too.
    r.add(sample(50_000, 10, 3));
    r.add(sample(60_000, 20, 3));
    expect(r.now().perMinute).toBe(60);
  });

  it('a failed read leaves the window as it was', () => {
    const r = new ApiserverRate(60_000);
    r.add(sample(0, 0));
    r.add({ at: 10_000, nodeWrites: null, residentMemoryBytes: null, processStartTime: null });
    r.add(sample(20_000, 200));
    expect(r.now().perMinute).toBe(600);
  });
});

describe('the apiserver-wide signal', () => {
  const settings = { rule: CHURN_LOOP_RULE, forMs: 60_000, resolveAfterMs: 300_000 };
  const seen = (perMinute: number | null, watchSpeaks = false, usualPerMinute = 0) => ({
    perMinute,
    writes: (perMinute ?? 0) * 1,
    spanMs: 60_000,
    usualPerMinute,
    watchSpeaks,
  });

  it('fires after ALERT_FOR over the rule while the watch is silent; resolves after ALERT_RESOLVE_AFTER under it', () => {
    const s = new ClusterSignal(settings);
    expect(s.judge(0, seen(600))).toBeNull();
    expect(s.judge(30_000, seen(600))).toBeNull();
    expect(s.judge(60_000, seen(600))).toEqual({ type: 'fire', since: 0 });
    expect(s.open).toBe(0);
    // Unknown: nothing changes either way.
    expect(s.judge(100_000, seen(null))).toBeNull();
    expect(s.judge(120_000, seen(5))).toBeNull();
    expect(s.judge(300_000, seen(null))).toBeNull();
    expect(s.judge(420_000, seen(5))).toEqual({ type: 'resolve', at: 420_000 });
    expect(s.open).toBeNull();
  });

  it('counts nothing while the watch speaks for the objects; once open, the watch coming back does not close it', () => {
    const s = new ClusterSignal(settings);
    s.judge(0, seen(600));
    expect(s.judge(30_000, seen(600, true))).toBeNull();
    expect(s.judge(70_000, seen(600))).toBeNull();
    expect(s.judge(130_000, seen(600))).toEqual({ type: 'fire', since: 70_000 });
    expect(s.judge(200_000, seen(600, true))).toBeNull();
    expect(s.open).toBe(70_000);
  });

  it("the fleet's usual writes are not a loop: only what is above them is judged by the rule", () => {
    const s = new ClusterSignal(settings);
    expect(s.over(seen(400, false, 390))).toBe(false);
    expect(s.over(seen(400, false, 300))).toBe(true);
    expect(s.over(seen(19))).toBe(false);
  });
});
