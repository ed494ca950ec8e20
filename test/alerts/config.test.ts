import { describe, expect, it } from '@jest/globals';
import { loadBotConfig } from '../../src/config/bot.js';
import { UsageError } from '../../src/errors.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' };
const TOKEN = 'a-long-alertmanager-token-0123';

function refusal(env: Record<string, string>, role: 'bot' | 'worker' | 'serve' = 'serve'): string {
  try {
    loadBotConfig(env, role);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('the Alertmanager settings', () => {
  it('are off by default', () => {
    expect(loadBotConfig(base, 'serve')).toMatchObject({
      alertmanagerToken: null,
      alertmanagerUrl: null,
      alertmanagerTimeoutMs: 10_000,
    });
  });

  it('take the token, the API URL and the timeout', () => {
    const env = {
      ...base,
      METRICS_PORT: '9090',
      ALERTMANAGER_TOKEN: TOKEN,
      ALERTMANAGER_URL: 'http://rancher-monitoring-alertmanager.cattle-monitoring-system:9093',
      ALERTMANAGER_TIMEOUT: '30s',
    };
    expect(loadBotConfig(env, 'serve')).toMatchObject({
      alertmanagerToken: TOKEN,
      alertmanagerUrl: 'http://rancher-monitoring-alertmanager.cattle-monitoring-system:9093',
      alertmanagerTimeoutMs: 30_000,
    });
  });

  it('refuse a short token without repeating it', () => {
    const message = refusal({ ...base, METRICS_PORT: '9090', ALERTMANAGER_TOKEN: 'short-secret' });
    expect(message).toMatch(/^bad setting ALERTMANAGER_TOKEN: /);
    expect(message).not.toContain('short-secret');
  });

  it('refuse a URL that is not http(s)', () => {
    expect(refusal({ ...base, ALERTMANAGER_URL: 'alertmanager:9093' })).toMatch(
      /^bad setting ALERTMANAGER_URL/,
    );
  });

  it('need METRICS_PORT where Slack is served over HTTP, so that the webhook is never beside it', () => {
    const env = { ...base, ALERTMANAGER_TOKEN: TOKEN };
    expect(refusal(env, 'serve')).toMatch(/ALERTMANAGER_TOKEN needs METRICS_PORT/);
    expect(refusal(env, 'bot')).toMatch(/ALERTMANAGER_TOKEN needs METRICS_PORT/);
    // A worker, or a bot on Socket Mode, serves Slack nothing over HTTP.
    expect(loadBotConfig(env, 'worker').alertmanagerToken).toBe(TOKEN);
    const socket = { ...env, SLACK_SOCKET_MODE: 'true', SLACK_APP_TOKEN: 'xapp-1' };
    expect(loadBotConfig(socket, 'serve').alertmanagerToken).toBe(TOKEN);
  });
});
