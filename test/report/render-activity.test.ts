import { describe, expect, it } from '@jest/globals';
import type { ActivitySummary, HotObject } from '../../src/diagnosis/types.js';
import { renderActivityTable } from '../../src/report/render-activity.js';
import { HOT_NODE, HOT_NODE_REF } from '../support/hot-node.js';

function hot(writesPerMinute: number, more: Partial<HotObject> = {}): HotObject {
  return {
    key: HOT_NODE,
    ref: { ...HOT_NODE_REF },
    verbs: { PUT: 20 },
    writes: 20,
    reads: 0,
    firstSeen: '2022-05-07T08:20:00.000Z',
    lastSeen: '2022-05-07T08:20:01.000Z',
    perMinute: [20],
    perMinuteStart: '2022-05-07T08:20:00.000Z',
    rank: 1,
    writesPerMinute,
    rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
    ...more,
  };
}

function summary(hots: HotObject[]): ActivitySummary {
  return {
    signal: 'httplog',
    signalsSeen: { httplog: 20 },
    formats: { klog: 20 },
    bytesRead: 4000,
    linesRead: 20,
    linesSkipped: 0,
    requestsCounted: 20,
    distinctObjects: 1,
    windowStart: '2022-05-07T08:20:00.000Z',
    windowEnd: '2022-05-07T08:20:01.000Z',
    hot: hots,
  };
}

const options = { inputs: ['a.log'], threshold: 10, farAboveFactor: 5, top: 10, since: null };

describe('the scan-logs table', () => {
  it('marks a rate from too few writes as a lower bound, and says what the mark means', () => {
    const text = renderActivityTable(summary([hot(20, { observedSeconds: 1, lowerBound: true })]), options);
    const row = text.split('\n').find((l) => l.includes('machine-h46dc') && l.includes('c-dql6k'))!;
    expect(row).toMatch(/ >=20\.0 /);
    expect(text).toContain('(>= : too few writes to measure a rate: they came at least that fast)');
  });

  it('a measured rate has no mark and no note', () => {
    const text = renderActivityTable(summary([hot(1200, { observedSeconds: 15 })]), options);
    expect(text).toMatch(/ 1200\.0 /);
    expect(text).not.toContain('>=');
  });
});
