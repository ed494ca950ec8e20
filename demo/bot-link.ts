import type { SlackApiStandin } from '../test/support/slack-api.js';
import { buttonClickBody, signedHeaders, slashCommandBody } from '../test/support/slack-signer.js';
import type { Channel } from './channel.js';

export interface DemoUser {
  id: string;
  name: string;
  approver: boolean;
}

export const USERS: DemoUser[] = [
  { id: 'U0ALICE', name: 'alice', approver: true },
  { id: 'U0MALLORY', name: 'mallory', approver: false },
];

export const COMMAND = '/rancher';

interface Button {
  type?: string;
  action_id?: string;
  value?: string;
  url?: string;
  text?: { text?: string };
}

interface Block {
  type?: string;
  block_id?: string;
  elements?: Button[];
  accessory?: Button;
}

/**
 * Sends what a person does in the channel to the bot, as Slack does: signed POSTs to its request
 * URL, each with a response_url on the Web API stand-in (the channel applies what arrives there).
 */
export class BotLink {
  private responses = 0;

  constructor(
    private readonly eventsUrl: string,
    private readonly secret: string,
    private readonly slack: SlackApiStandin,
    private readonly channel: Channel,
  ) {}

  /** A slash command as typed ("/rancher diagnose --watch 5s"); resolves with the bot's HTTP answer. */
  async command(userId: string, typed: string): Promise<{ status: number; answer: Record<string, unknown> }> {
    const line = typed.trim();
    const [command, ...rest] = line.split(/\s+/);
    if (command !== COMMAND) {
      this.channel.slackSays(
        userId,
        line,
        `${command ?? line} is not a valid command. This channel's app answers ${COMMAND}.`,
      );
      return { status: 0, answer: {} };
    }
    const responseId = this.nextResponseId();
    this.channel.expectResponse(responseId, { userId, command: line });
    const body = slashCommandBody({
      text: rest.join(' '),
      userId,
      channelId: this.channel.id,
      responseUrl: this.slack.responseUrl(responseId),
    });
    const { status, answer } = await this.post(body);
    if (status !== 200) {
      this.channel.slackSays(
        userId,
        line,
        `${COMMAND} failed with the error "http_error_${status || 'unreachable'}"`,
      );
    } else if (answer.text !== undefined || answer.blocks !== undefined) {
      this.channel.commandAnswer({ userId, command: line }, answer);
    }
    return { status, answer };
  }

  /** A click on a button of a message in the channel. */
  async click(userId: string, messageId: string, blockId: string, actionId: string): Promise<number> {
    const message = this.channel.find(messageId);
    if (!message) throw new Error(`no message ${messageId} in the channel`);
    const block = (message.blocks as Block[]).find((b) => b.block_id === blockId);
    const button = [...(block?.elements ?? []), ...(block?.accessory ? [block.accessory] : [])].find(
      (e) => e.action_id === actionId,
    );
    if (!block || !button) throw new Error(`no button ${actionId} in block ${blockId}`);
    const responseId = this.nextResponseId();
    this.channel.expectResponse(responseId, { userId, messageId });
    const body = buttonClickBody({
      actionId,
      value: button.value ?? '',
      userId,
      channelId: this.channel.id,
      messageTs: message.id,
      blockId,
      responseUrl: this.slack.responseUrl(responseId),
      text: button.text?.text ?? '',
      message: { text: message.text, blocks: message.blocks },
    });
    return (await this.post(body)).status;
  }

  private nextResponseId(): string {
    return `demo-${++this.responses}`;
  }

  private async post(body: string): Promise<{ status: number; answer: Record<string, unknown> }> {
    try {
      const res = await fetch(this.eventsUrl, {
        method: 'POST',
        headers: signedHeaders(this.secret, body),
        body,
      });
      const text = await res.text();
      let answer: Record<string, unknown> = {};
      try {
        answer = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        answer = { text };
      }
      return { status: res.status, answer };
    } catch {
      return { status: 0, answer: {} };
    }
  }
}
