import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { createMetrics } from '../../src/server/metrics.js';
import { SocketModeReceiver } from '../../src/slack/socket-receiver.js';
import { SlackApiStandin } from '../support/slack-api.js';

let slack: SlackApiStandin;

beforeAll(async () => {
  slack = await new SlackApiStandin().start();
});

afterAll(async () => {
  await slack.close();
});

describe('Socket Mode reconnect backoff', () => {
  it('stop() ends the wait before a reconnect at once', async () => {
    slack.setDown(true);
    const receiver = new SocketModeReceiver({
      appToken: 'xapp-1-test',
      slackApiUrl: slack.url,
      connections: 1,
      drainMs: 100,
      // An hour's wait: the test only ends because stop() cuts it short.
      reconnectBaseMs: 3_600_000,
      log: pino({ level: 'silent' }),
      metrics: createMetrics(),
      onTokenRefused: () => undefined,
    });
    await receiver.start();
    expect(slack.callsOf('apps.connections.open')).toHaveLength(1);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const waiting = timers();
    await receiver.stop();
    // The hour's timer is gone: the wait was ended, not left to run out.
    expect(timers()).toBe(waiting - 1);
    expect(receiver.deliverable()).toBe(0);
    slack.setDown(false);
  });
});
