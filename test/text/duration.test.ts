import { describe, expect, it } from '@jest/globals';
import { formatSeconds } from '../../src/text/duration.js';

describe('formatSeconds', () => {
  it.each([
    [0, '0s'],
    [35, '35s'],
    [60, '1m'],
    [90, '90s'],
    [7200, '2h'],
    [86400, '1d'],
  ])('%i s reads %s', (seconds, words) => expect(formatSeconds(seconds)).toBe(words));
});
