/**
 * The stand-in Slack Web API in a process of its own, for `bench ack`: the bot's chat.postMessage
 * calls after each ack are answered here, not on the event loop that times the acks. Started with
 * fork(); sends `{ url }` once listening and answers `{ count: method }` with `{ count: n }`.
 */
import { SlackApiStandin } from '../test/support/slack-api.js';

const slack = await new SlackApiStandin().start();
process.send!({ url: slack.url });
process.on('message', (m: { count?: string }) => {
  if (m.count !== undefined) process.send!({ count: slack.callsOf(m.count).length });
});
process.on('disconnect', () => {
  void slack.close().then(() => process.exit(0));
});
