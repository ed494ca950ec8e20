/** A bot role with no worker in its process: a test that runs one checks only the Slack edge. */
export const NO_ENGINE = {
  diagnose: () => Promise.reject(new Error('no worker in this test')),
  listClusters: () => Promise.resolve([]),
};

/** The settings of a bot on Socket Mode against the stand-in Slack at `slackUrl`. */
export function socketModeEnv(slackUrl: string, prefix: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SOCKET_MODE: 'true',
    SLACK_APP_TOKEN: 'xapp-1-test',
    SLACK_API_URL: slackUrl,
    PORT: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
  };
}
