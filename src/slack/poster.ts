import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackMessage } from './render/blocks.js';

/** What Slack keeps with a message for apps to find it by (not shown to people). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, string>;
}

export interface WebClientSettings {
  token: string;
  slackApiUrl: string;
  /** Attempts after the first; a 429 waits its Retry-After and counts as one. */
  retries: number;
  timeoutMs?: number;
}

/**
 * A Web API client with a bounded retry policy: 429 answers are waited out as Retry-After says,
 * other failures retried with backoff, and all of it over within about a minute instead of the
 * library's default half hour.
 */
export function createWebClient(settings: WebClientSettings): webApi.WebClient {
  return new webApi.WebClient(settings.token, {
    slackApiUrl: settings.slackApiUrl,
    retryConfig: {
      retries: settings.retries,
      factor: 2,
      minTimeout: 500,
      maxTimeout: 5000,
      maxRetryTime: 60_000,
    },
    rejectRateLimitedCalls: false,
    timeout: settings.timeoutMs ?? 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });
}

export interface JobMessageLink {
  channel: string;
  ts: string;
  permalink?: string;
}

/** A link that cannot break out of mrkdwn's `<url|text>`. */
const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;

/**
 * How workers and the bot write to channels. Failures are logged with the method and the channel
 * and never thrown: a Slack outage must not fail a diagnosis or be reported into Slack again.
 */
export class SlackPoster {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
  ) {}

  async post(
    channel: string,
    msg: SlackMessage,
    threadTs?: string,
    metadata?: MessageMetadata,
  ): Promise<{ channel: string; ts: string } | null> {
    const result = await this.call('chat.postMessage', channel, () =>
      this.client.chat.postMessage({
        channel,
        text: msg.text,
        blocks: msg.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(metadata ? { metadata } : {}),
      }),
    );
    if (!result || typeof result.ts !== 'string') return null;
    return { channel: typeof result.channel === 'string' ? result.channel : channel, ts: result.ts };
  }

  /**
   * Posts a job's message and asks Slack for its permalink, for `/rancher status` to link to (done
   * here, after the post, so that no status answer waits on the Web API). The permalink is left out
   * when Slack does not give one that is a plain https URL.
   */
  async postWithLink(
    channel: string,
    msg: SlackMessage,
    metadata?: MessageMetadata,
  ): Promise<JobMessageLink | null> {
    const ref = await this.post(channel, msg, undefined, metadata);
    return ref ? this.withLink(ref) : null;
  }

  /**
   * The newest message at the root of `channel` that carries metadata of `eventType` whose payload
   * `matches`, looking back at most `pages` pages of history (needs `channels:history`, or
   * `groups:history` for a private channel); null when there is none or Slack did not answer.
   */
  async findByMetadata(
    channel: string,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
    pages = 3,
  ): Promise<JobMessageLink | null> {
    let cursor: string | undefined;
    for (let page = 0; page < pages; page++) {
      const result = await this.call('conversations.history', channel, () =>
        this.client.conversations.history({
          channel,
          limit: 200,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        }),
      );
      const hit = result?.messages?.find(
        (m) => m.metadata?.event_type === eventType && matches(m.metadata.event_payload ?? {}),
      );
      if (hit?.ts) return this.withLink({ channel, ts: hit.ts });
      cursor = result?.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    return null;
  }

  private async withLink(ref: { channel: string; ts: string }): Promise<JobMessageLink> {
    const result = await this.call('chat.getPermalink', ref.channel, () =>
      this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }),
    );
    const permalink = result?.permalink;
    return typeof permalink === 'string' && SAFE_LINK.test(permalink) ? { ...ref, permalink } : ref;
  }

  async update(channel: string, ts: string, msg: SlackMessage): Promise<boolean> {
    const result = await this.call('chat.update', channel, () =>
      this.client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks }),
    );
    return result !== null;
  }

  /** Uploads long texts (a patch diff) and images (the loop's chart) as files in the message's thread. */
  async upload(
    channel: string,
    threadTs: string,
    uploads: NonNullable<SlackMessage['uploads']>,
  ): Promise<void> {
    for (const u of uploads) {
      await this.call('files.uploadV2', channel, () =>
        this.client.files.uploadV2({
          channel_id: channel,
          thread_ts: threadTs,
          filename: u.filename,
          title: u.title,
          ...(typeof u.content === 'string' ? { content: u.content } : { file: Buffer.from(u.content) }),
        }),
      );
    }
  }

  private async call<T>(method: string, channel: string, run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string }; message?: string };
      this.log.error(
        { method, channel, code: e.code, slackError: e.data?.error, err: e.message },
        'Slack Web API call failed',
      );
      return null;
    }
  }
}

/**
 * Rate-limits one message's updates: at most one per interval; the newest content waits and is
 * sent when the interval has passed; flush() sends whatever is pending at once (the final state).
 */
export class UpdateThrottle<T> {
  private lastSent = 0;
  private pending: T | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (value: T) => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  push(value: T): void {
    this.pending = value;
    if (this.timer) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) {
      this.sendPending();
    } else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.sendPending();
      }, wait);
    }
  }

  /** Sends what is pending now and waits until every send so far has finished. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.sendPending();
    await this.chain;
  }

  /** Drops what is pending: a newer final message replaces it. */
  async cancel(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    await this.chain;
  }

  private sendPending(): void {
    if (this.pending === null) return;
    const value = this.pending;
    this.pending = null;
    this.lastSent = this.now();
    this.chain = this.chain
      .then(() => this.send(value))
      .then(
        () => undefined,
        () => undefined,
      );
  }
}
