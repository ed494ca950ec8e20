import { describe, expect, it } from '@jest/globals';
import { createChurnCounter } from '../../src/diagnosis/churn.js';
import {
  CHURN_LOOP_RULE,
  LOG_LOOP_RULE,
  hasStoppedLooping,
  heartbeatAllowance,
  isLooping,
  typicalRate,
} from '../../src/diagnosis/loop-rule.js';

const rule = { minWritesPerMinute: 20, farAboveFactor: 5, minWrites: 3 };

describe('the loop rule', () => {
  it('an object written fast enough, far above the typical writer, often enough, loops', () => {
    expect(isLooping({ writes: 60, writesPerMinute: 60 }, 2, rule)).toBe(true);
  });

  it('too slow, too close to the typical writer, or too few writes: no loop', () => {
    expect(isLooping({ writes: 19, writesPerMinute: 19 }, 0, rule)).toBe(false);
    expect(isLooping({ writes: 30, writesPerMinute: 30 }, 10, rule)).toBe(false);
    expect(isLooping({ writes: 2, writesPerMinute: 120 }, 0, rule)).toBe(false);
  });

  it('the typical writer is the median of the writers under the rule; idle objects do not count', () => {
    expect(typicalRate([0, 1, 2, 9, 500], rule)).toBe(2);
    expect(typicalRate([1, 2], rule)).toBe(1.5);
    expect(typicalRate([500], rule)).toBe(0);
  });

  it('has stopped looping: under the rule and no faster than a healthy sibling', () => {
    expect(hasStoppedLooping({ writes: 2, writesPerMinute: 2 }, 2, 0, rule)).toBe(true);
    expect(hasStoppedLooping({ writes: 1, writesPerMinute: 0.5 }, 2, 0, rule)).toBe(true);
  });

  it('a few heartbeat writes more than the sibling in a short window still count as stopped, not zero', () => {
    const allowance = heartbeatAllowance(CHURN_LOOP_RULE);
    expect(allowance).toBe(4);
    expect(hasStoppedLooping({ writes: 3, writesPerMinute: 3 }, 0, 0, CHURN_LOOP_RULE)).toBe(true);
    expect(hasStoppedLooping({ writes: 5, writesPerMinute: 5 }, 1, 1, CHURN_LOOP_RULE)).toBe(true);
    expect(hasStoppedLooping({ writes: 6, writesPerMinute: 6 }, 1, 1, CHURN_LOOP_RULE)).toBe(false);
  });

  it('has not stopped: still looping, faster than the sibling, or no sibling to compare with', () => {
    expect(hasStoppedLooping({ writes: 60, writesPerMinute: 60 }, 2, 0, rule)).toBe(false);
    expect(hasStoppedLooping({ writes: 10, writesPerMinute: 10 }, 2, 0, rule)).toBe(false);
    expect(hasStoppedLooping({ writes: 1, writesPerMinute: 1 }, null, 0, rule)).toBe(false);
  });

  it('the log scan and the churn watch differ only in how fast a healthy object of theirs may be written', () => {
    expect(LOG_LOOP_RULE.farAboveFactor).toBe(CHURN_LOOP_RULE.farAboveFactor);
    expect(LOG_LOOP_RULE.minWritesPerMinute).toBe(60);
    expect(CHURN_LOOP_RULE.minWritesPerMinute).toBe(20);
  });
});

describe('the churn watch asks the loop rule', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(start.getTime() + s * 1000);

  it('an object at 25/min next to node objects at 2/min loops', () => {
    const counter = createChurnCounter();
    for (let i = 0; i < 25; i++) counter.modified('c-1', 'machine-a', at(i * 2));
    for (const n of ['m-1', 'm-2', 'm-3']) for (const s of [10, 40]) counter.modified('c-1', n, at(s));
    const summary = counter.summary(start, at(60));
    expect(summary.hot.map((h) => h.ref.name)).toEqual(['machine-a']);
  });

  it('the same 25/min is no loop when the typical node object there changes 6 times a minute', () => {
    const counter = createChurnCounter();
    for (let i = 0; i < 25; i++) counter.modified('c-1', 'machine-a', at(i * 2));
    for (const n of ['m-1', 'm-2', 'm-3']) for (let s = 0; s < 60; s += 10) counter.modified('c-1', n, at(s));
    expect(counter.summary(start, at(60)).hot).toEqual([]);
  });
});
