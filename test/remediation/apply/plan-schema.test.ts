import { describe, expect, it } from '@jest/globals';
import { readPatchPlan } from '../../../src/remediation/apply/plan-schema.js';
import { buildPatchPlan } from '../../../src/remediation/plans/patch-plan.js';
import { nodeObject } from '../../diagnosis/fixtures.js';

describe('a patch plan read back from storage', () => {
  it('keeps everything through JSON, the basis included', () => {
    const plan = buildPatchPlan(nodeObject('machine-h46dc'), nodeObject('m-aaaaa', { rke: true }));
    expect(readPatchPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('is null when what was stored is not a plan', () => {
    expect(readPatchPlan({ clusterId: 'c-dql6k' })).toBeNull();
    expect(readPatchPlan(null)).toBeNull();
  });
});
