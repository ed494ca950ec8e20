import { describe, expect, it } from '@jest/globals';
import { loadBotConfig } from '../../src/config/bot.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' };

describe('loadBotConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadBotConfig(base, 'serve');
    expect(c).toMatchObject({
      slackApiUrl: 'https://slack.com/api/',
      port: 3000,
      metricsPort: null,
      redisUrl: 'redis://127.0.0.1:6379',
      socketMode: false,
      approvers: [],
      diagnoseAllowedChannels: [],
      resultRetentionSeconds: 7 * 86400,
      planTtlSeconds: 86400,
      jobAttempts: 3,
      remediationEnabled: false,
      approversByFix: { patch: [], drain: [] },
      approvalsRequired: { patch: 1, drain: 1 },
      selfApproval: 'when-alone',
      approvalTtlSeconds: 1800,
      auditRetentionSeconds: 90 * 86400,
      verifyAfterSeconds: 120,
    });
  });
  it('approvers per fix fall back to APPROVERS; the approval window must fit in PLAN_TTL', () => {
    const c = loadBotConfig(
      {
        ...base,
        APPROVERS: 'U1,S2',
        APPROVERS_DRAIN: 'U3',
        APPROVALS_REQUIRED_DRAIN: '2',
        SELF_APPROVAL: 'Never',
      },
      'serve',
    );
    expect(c.approversByFix).toEqual({ patch: ['U1', 'S2'], drain: ['U3'] });
    expect(c.approvalsRequired).toEqual({ patch: 1, drain: 2 });
    expect(c.selfApproval).toBe('never');
    expect(() => loadBotConfig({ ...base, PLAN_TTL: '20m' }, 'serve')).toThrow(
      'bad setting APPROVAL_TTL: must be within PLAN_TTL',
    );
    expect(loadBotConfig({ ...base, PLAN_TTL: '20m', APPROVAL_TTL: '10m' }, 'serve').approvalTtlSeconds).toBe(
      600,
    );
  });
  it.each([
    [{}, 'SLACK_BOT_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ ...base, SLACK_SOCKET_MODE: 'true' }, 'SLACK_APP_TOKEN'],
    [{ ...base, SLACK_SOCKET_MODE: 'maybe' }, 'SLACK_SOCKET_MODE'],
    [{ ...base, PORT: 'eighty' }, 'PORT'],
    [{ ...base, PORT: '70000' }, 'PORT'],
    [{ ...base, METRICS_PORT: '9090x' }, 'METRICS_PORT'],
    [{ ...base, METRICS_PORT: '65536' }, 'METRICS_PORT'],
    [{ ...base, REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ ...base, SLACK_API_URL: 'slack' }, 'SLACK_API_URL'],
    [{ ...base, APPROVERS: 'alice' }, 'APPROVERS'],
    [{ ...base, DIAGNOSE_ALLOWED_CHANNELS: '#ops' }, 'DIAGNOSE_ALLOWED_CHANNELS'],
    [{ ...base, RESULT_RETENTION: 'a week' }, 'RESULT_RETENTION'],
    [{ ...base, JOB_ATTEMPTS: '0' }, 'JOB_ATTEMPTS'],
    [{ ...base, APPROVERS_PATCH: 'bob' }, 'APPROVERS_PATCH'],
    [{ ...base, APPROVALS_REQUIRED_PATCH: '0' }, 'APPROVALS_REQUIRED_PATCH'],
    [{ ...base, SELF_APPROVAL: 'sometimes' }, 'SELF_APPROVAL'],
    [{ ...base, REMEDIATION_ENABLED: 'on' }, 'REMEDIATION_ENABLED'],
    [{ ...base, VERIFY_AFTER: 'soon' }, 'VERIFY_AFTER'],
    // A token of the wrong kind, e.g. the bot token pasted as the app token: named at start.
    [{ ...base, SLACK_BOT_TOKEN: 'xapp-1-abc' }, 'SLACK_BOT_TOKEN'],
    [{ ...base, SLACK_SOCKET_MODE: 'true', SLACK_APP_TOKEN: 'xoxb-1' }, 'SLACK_APP_TOKEN'],
    [{ ...base, SLACK_SOCKET_CONNECTIONS: '11' }, 'SLACK_SOCKET_CONNECTIONS'],
  ])('a missing or bad setting stops the program naming it (%o)', (env, name) => {
    expect(() => loadBotConfig(env, 'serve')).toThrow(name);
  });
  it('a worker needs neither signing secret nor app token; lists and durations are parsed', () => {
    const c = loadBotConfig(
      {
        SLACK_BOT_TOKEN: 'xoxb-1',
        APPROVERS: 'U1, S2',
        RESULT_RETENTION: '2d',
        SLACK_API_URL: 'http://127.0.0.1:9/api',
      },
      'worker',
    );
    expect(c.approvers).toEqual(['U1', 'S2']);
    expect(c.resultRetentionSeconds).toBe(172800);
    expect(c.slackApiUrl).toBe('http://127.0.0.1:9/api/');
  });
  it('Socket Mode needs the app token, not the signing secret', () => {
    const c = loadBotConfig(
      { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SOCKET_MODE: 'true', SLACK_APP_TOKEN: 'xapp-1' },
      'bot',
    );
    expect(c.socketMode).toBe(true);
  });
});
