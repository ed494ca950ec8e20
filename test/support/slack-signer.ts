import { createHmac } from 'node:crypto';

/** Signs a request body exactly as Slack does: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>"). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
}

export function signedHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

export interface SlashCommandFields {
  text: string;
  userId?: string;
  channelId?: string;
  responseUrl?: string;
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(f: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: f.channelId ?? 'C0OPS',
    channel_name: 'ops',
    user_id: f.userId ?? 'U0ALICE',
    user_name: 'alice',
    command: '/rancher',
    text: f.text,
    api_app_id: 'A0001',
    response_url: f.responseUrl ?? 'http://127.0.0.1:9/unused',
    trigger_id: '1.2.3',
  }).toString();
}

/** The form body Slack posts when someone clicks a button in a message. */
export function buttonClickBody(f: {
  actionId: string;
  value: string;
  userId?: string;
  channelId?: string;
  messageTs?: string;
  blockId?: string;
  responseUrl?: string;
  /** The button's label, as Slack echoes it. */
  text?: string;
  /** The message the button is in, as Slack sends it along (the bot rebuilds its blocks from it). */
  message?: { text: string; blocks: unknown[] };
}): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'example' },
    user: { id: f.userId ?? 'U0ALICE', username: 'alice', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: f.messageTs ?? '1700000000.000100',
      channel_id: f.channelId ?? 'C0OPS',
    },
    trigger_id: '1.2.3',
    channel: { id: f.channelId ?? 'C0OPS', name: 'ops' },
    message: {
      type: 'message',
      ts: f.messageTs ?? '1700000000.000100',
      text: f.message?.text ?? 'report',
      blocks: f.message?.blocks ?? [],
    },
    response_url: f.responseUrl ?? 'http://127.0.0.1:9/unused',
    actions: [
      {
        type: 'button',
        action_id: f.actionId,
        block_id: f.blockId ?? 'finding-0',
        value: f.value,
        text: { type: 'plain_text', text: f.text ?? 'Approve patch' },
        action_ts: '1700000001.000200',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** POSTs a signed (or deliberately mis-signed) request to the bot and returns status and body. */
export async function postToBot(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; json: unknown }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, body: text, json };
}
