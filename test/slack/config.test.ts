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
    });
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
