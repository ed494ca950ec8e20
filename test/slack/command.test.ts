import { describe, expect, it } from '@jest/globals';
import { editDistance, mayDiagnose, parseRancherCommand } from '../../src/slack/command.js';

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
    expect(parseRancherCommand('audit')).toEqual({ kind: 'audit', count: 10 });
    expect(parseRancherCommand('AUDIT 25')).toEqual({ kind: 'audit', count: 25 });
    expect(parseRancherCommand('audit 0')).toMatchObject({ kind: 'invalid' });
    expect(parseRancherCommand('audit 51')).toMatchObject({ kind: 'invalid' });
    expect(parseRancherCommand('audit 5 6')).toMatchObject({ kind: 'invalid' });
    expect(parseRancherCommand('')).toEqual({ kind: 'help' });
    expect(parseRancherCommand('help')).toEqual({ kind: 'help' });
  });
  it.each([
    ['diagnoze c-1', 'unknown subcommand "diagnoze" (did you mean "diagnose"?)'],
    ['stauts', 'unknown subcommand "stauts" (did you mean "status"?)'],
    ['diagnose --wacth 5m', 'unknown option "--wacth" (did you mean "--watch"?)'],
    ['diagnose --since 0s', '--since "0s" is not a duration such as 90s, 30m, 2h or 1h30m, from 1s to 7d'],
    ['diagnose --watch soon', 'is not a duration such as 30s, 90s or 5m, at most 15m; 0 for no watch'],
    ['diagnose "prod east', 'a quote is not closed'],
    ['diagnose --since', '--since needs a duration'],
    ['diagnose --since soon', '"soon" is not a duration'],
    ['diagnose *bold*', 'is not a cluster id or name'],
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

describe('parseRancherCommand, as people type', () => {
  it('takes subcommands and options in any case', () => {
    expect(parseRancherCommand('DIAGNOSE c-dql6k --SINCE 30M --Watch=1M')).toEqual({
      kind: 'diagnose',
      cluster: 'c-dql6k',
      sinceSeconds: 1800,
      watchSeconds: 60,
    });
    expect(parseRancherCommand('Status')).toEqual({ kind: 'status', jobId: null });
    expect(parseRancherCommand('HELP')).toEqual({ kind: 'help' });
  });

  it('takes --watch 0 as no watch, as the command line does', () => {
    for (const zero of ['0', '0s', '0m'])
      expect(parseRancherCommand(`diagnose --watch ${zero}`)).toMatchObject({ watchSeconds: 0 });
  });

  it.each([
    ['diagnose "prod east"', 'prod east'],
    ["diagnose 'prod east' --since 1h", 'prod east'],
    ['diagnose \u201cprod east\u201d', 'prod east'],
    ['diagnose \u2018prod east\u2019', 'prod east'],
    ['diagnose \u201cprod east"', 'prod east'],
    ['diagnose "Zürich Prod"', 'Zürich Prod'],
    ['diagnose "東京 本番"', '東京 本番'],
    ['diagnose Zu\u0308rich', 'Z\u00fcrich'],
  ])('%s names the cluster %s', (text, cluster) => {
    expect(parseRancherCommand(text)).toMatchObject({ kind: 'diagnose', cluster });
  });

  it('says nothing for a word far from every subcommand', () => {
    const parsed = parseRancherCommand('frobnicate');
    expect(parsed.kind === 'invalid' && parsed.problem).toBe('unknown subcommand "frobnicate"');
  });

  it('echoes at most one line of what was typed, however long', () => {
    for (const text of [
      'x'.repeat(5000),
      `diagnose ${'y'.repeat(5000)}`,
      `diagnose "a\n${'b'.repeat(500)}`,
    ]) {
      const parsed = parseRancherCommand(text);
      expect(parsed.kind).toBe('invalid');
      const problem = parsed.kind === 'invalid' ? parsed.problem : '';
      expect(problem.length).toBeLessThan(160);
      expect(problem).not.toContain('\n');
      expect(problem).toContain('…');
    }
  });
});

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('diagnoze', 'diagnose')).toBe(1);
    expect(editDistance('', 'help')).toBe(4);
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
