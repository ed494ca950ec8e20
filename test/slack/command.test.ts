import { describe, expect, it } from '@jest/globals';
import { mayDiagnose, parseRancherCommand } from '../../src/slack/command.js';

describe('parseRancherCommand', () => {
  it('reads diagnose with a cluster and durations', () => {
    expect(parseRancherCommand('diagnose c-dql6k --since 30m --watch=60s')).toEqual({
      kind: 'diagnose',
      cluster: 'c-dql6k',
      sinceSeconds: 1800,
      watchSeconds: 60,
    });
    expect(parseRancherCommand('  diagnose ')).toEqual({
      kind: 'diagnose',
      cluster: null,
      sinceSeconds: null,
      watchSeconds: null,
    });
  });
  it('reads status and help', () => {
    expect(parseRancherCommand('status dabc')).toEqual({ kind: 'status', jobId: 'dabc' });
    expect(parseRancherCommand('status')).toEqual({ kind: 'status', jobId: null });
    expect(parseRancherCommand('')).toEqual({ kind: 'help' });
    expect(parseRancherCommand('help')).toEqual({ kind: 'help' });
  });
  it.each([
    ['diagnoze c-1', 'unknown subcommand "diagnoze"'],
    ['diagnose --since', '--since needs a duration'],
    ['diagnose --since soon', '"soon" is not a duration'],
    ['diagnose --since 30d', 'more than 7d'],
    ['diagnose --watch 1h', 'more than 15m'],
    ['diagnose a b', 'one cluster at a time'],
    ['diagnose --force', 'unknown option "--force"'],
    ['diagnose <script>', 'is not a cluster id or name'],
    ['status a b', 'at most one job id'],
  ])('%s is refused, naming the problem', (text, problem) => {
    const parsed = parseRancherCommand(text);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.problem).toContain(problem);
  });
});

describe('mayDiagnose', () => {
  const who = { userId: 'U1', channelId: 'C1' };
  it('lets everyone when nothing is configured', () =>
    expect(mayDiagnose(who, { channels: [], users: [] })).toBe(true));
  it('checks channels and users', () => {
    expect(mayDiagnose(who, { channels: ['C2'], users: [] })).toBe(false);
    expect(mayDiagnose(who, { channels: ['C1'], users: ['U2'] })).toBe(false);
    expect(mayDiagnose(who, { channels: ['C1'], users: ['U1'] })).toBe(true);
  });
});
