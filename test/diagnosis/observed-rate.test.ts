import { describe, expect, it } from '@jest/globals';
import { createChurnCounter } from '../../src/diagnosis/churn.js';
import { observedRate } from '../../src/diagnosis/observed-rate.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('rates over the span observed', () => {
  it('enough writes over enough time: over their own span, first to last', () => {
    // 1,200 a minute for 15 s of a 60-minute log.
    const r = observedRate({
      writes: 301,
      firstMs: T0,
      lastMs: T0 + 15_000,
      windowStartMs: T0 - 3_600_000,
      windowEndMs: T0 + 15_000,
    });
    expect(r).toEqual({ writesPerMinute: 1200, observedSeconds: 15, lowerBound: false });
  });

  it('many writes in a short window: over the window, not over the calendar minute it touches', () => {
    const r = observedRate({
      writes: 40,
      firstMs: T0,
      lastMs: T0 + 4_000,
      windowStartMs: T0,
      windowEndMs: T0 + 5_000,
    });
    expect(r).toEqual({ writesPerMinute: 480, observedSeconds: 5, lowerBound: false });
  });

  it('one write in a log of one line is at least one write a minute, not sixty', () => {
    const r = observedRate({ writes: 1, firstMs: T0, lastMs: T0, windowStartMs: T0, windowEndMs: T0 });
    expect(r).toEqual({ writesPerMinute: 1, observedSeconds: 0, lowerBound: true });
  });

  it('a few writes in a long window: spread over a minute of it, a lower bound, said over the window read', () => {
    const r = observedRate({
      writes: 10,
      firstMs: T0,
      lastMs: T0 + 1_000,
      windowStartMs: T0,
      windowEndMs: T0 + 3_600_000,
    });
    expect(r).toEqual({ writesPerMinute: 10, observedSeconds: 3600, lowerBound: true });
  });

  it('too few writes in a 1 s watch: at least their number a minute, over the second watched, not a minute never watched', () => {
    // The stand-in's loop seen by a watch that ended after a second: 20 writes, 50 ms apart.
    const r = observedRate({
      writes: 20,
      firstMs: T0 + 25,
      lastMs: T0 + 975,
      windowStartMs: T0,
      windowEndMs: T0 + 1_000,
    });
    expect(r).toEqual({ writesPerMinute: 20, observedSeconds: 1, lowerBound: true });
  });

  it('few writes spread over more than a minute are over their own span, not a bound', () => {
    const r = observedRate({
      writes: 10,
      firstMs: T0,
      lastMs: T0 + 120_000,
      windowStartMs: T0,
      windowEndMs: T0 + 600_000,
    });
    expect(r).toEqual({ writesPerMinute: 5, observedSeconds: 120, lowerBound: false });
  });
});

describe('churn rates over short and long windows', () => {
  function watched(seconds: number, everyMs: number) {
    const counter = createChurnCounter();
    for (let t = 0; t < seconds * 1000; t += everyMs)
      counter.modified('c-dql6k', 'machine-h46dc', new Date(T0 + t));
    return counter.summary(new Date(T0), new Date(T0 + seconds * 1000)).hot[0]!;
  }

  it('the same loop reads the same rate over 12 s and over 10 minutes', () => {
    const short = watched(12, 50);
    const long = watched(600, 50);
    expect(short.writesPerMinute).toBe(1200);
    expect(long.writesPerMinute).toBe(1200);
    expect([short.observedSeconds, long.observedSeconds]).toEqual([12, 600]);
    expect([short.lowerBound, long.lowerBound]).toEqual([undefined, undefined]);
  });

  it('a watch of one second is a lower bound over that second', () => {
    // 20 a minute at least is the churn rule's threshold: hot, as the bug report's watch saw it.
    const counter = createChurnCounter();
    for (let t = 25; t < 1000; t += 50) counter.modified('c-dql6k', 'machine-h46dc', new Date(T0 + t));
    const hot = counter.summary(new Date(T0), new Date(T0 + 1000)).hot;
    expect(hot.map((h) => [h.writesPerMinute, h.observedSeconds, h.lowerBound])).toEqual([[20, 1, true]]);
  });
});
