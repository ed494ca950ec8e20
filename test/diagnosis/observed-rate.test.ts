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
    expect(r).toEqual({ writesPerMinute: 1200, observedSeconds: 15 });
  });

  it('many writes in a short window: over the window, not over the calendar minute it touches', () => {
    const r = observedRate({
      writes: 40,
      firstMs: T0,
      lastMs: T0 + 4_000,
      windowStartMs: T0,
      windowEndMs: T0 + 5_000,
    });
    expect(r).toEqual({ writesPerMinute: 480, observedSeconds: 5 });
  });

  it('one write in a log of one line is one write a minute, not sixty', () => {
    const r = observedRate({ writes: 1, firstMs: T0, lastMs: T0, windowStartMs: T0, windowEndMs: T0 });
    expect(r).toEqual({ writesPerMinute: 1, observedSeconds: 60 });
  });

  it('a few writes in a long window: spread over a minute of it, as bursts always were', () => {
    const r = observedRate({
      writes: 10,
      firstMs: T0,
      lastMs: T0 + 1_000,
      windowStartMs: T0,
      windowEndMs: T0 + 3_600_000,
    });
    expect(r).toEqual({ writesPerMinute: 10, observedSeconds: 60 });
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
  });
});
