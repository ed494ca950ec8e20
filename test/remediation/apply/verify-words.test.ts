import { describe, expect, it } from '@jest/globals';
import { verificationWords, type VerifyResult } from '../../../src/remediation/apply/verify.js';

const result = (over: Partial<VerifyResult>): VerifyResult => ({
  verdict: 'stopped',
  writes: 2,
  writesPerMinute: 2,
  siblingWritesPerMinute: 2,
  beforePerMinute: 1190,
  windowSeconds: 60,
  ...over,
});

describe('verificationWords', () => {
  it('says what the figures say', () => {
    expect(verificationWords(result({}))).toBe(
      'loop stopped: 2 writes/min, like its sibling (was 1,190/min)',
    );
    expect(verificationWords(result({ verdict: 'looping', writes: 870, writesPerMinute: 870 }))).toBe(
      'still looping: 870 writes/min (was 1,190/min); next: drain and remove the node (fix B)',
    );
    expect(
      verificationWords(result({ verdict: 'unclear', siblingWritesPerMinute: null, beforePerMinute: null })),
    ).toBe('not clearly stopped: 2 writes/min, no healthy sibling to compare with; measure again later');
  });
});
