import { LogLevel, SocketModeClient, type Logger as SocketModeLogger } from '@slack/socket-mode';
import type { ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';
import { describeError, redactSecrets } from './redact.js';

/** How an open connection ended: Slack asked for a new one (with its reason), or the socket closed. */
export type ConnectionEnd = { kind: 'refresh'; reason: string } | { kind: 'closed' };

/** What the Socket Mode client hands its `slack_event` listeners. */
interface SlackEventArgs {
  ack: (body?: Record<string, unknown>) => Promise<void>;
  envelope_id?: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

/**
 * The Socket Mode client, but for Slack's `disconnect` message: the client closes its socket at
 * once, and the acks of the envelopes it is still answering can then not be sent (Slack takes an
 * ack only on the connection that carried the envelope). Here the message is handed to the
 * owner, which keeps the socket until those acks are out.
 */
class DisconnectAwareClient extends SocketModeClient {
  onDisconnectRequested: (reason: string) => void = () => undefined;

  protected override async onWebSocketMessage(data: string | ArrayBuffer, isBinary: boolean): Promise<void> {
    if (!isBinary) {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      if (text.includes('"disconnect"')) {
        const message = parseObject(text);
        if (message?.type === 'disconnect') {
          this.onDisconnectRequested(typeof message.reason === 'string' ? message.reason : 'unknown');
          return;
        }
      }
    }
    return super.onWebSocketMessage(data, isBinary);
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The client's own lines, at debug: this module logs what a person needs (opened, refreshed,
 * closed, errors with their cause). Lines that would carry a payload are dropped.
 */
function clientLogger(log: Logger): SocketModeLogger {
  const write = (...m: unknown[]) => {
    if (!log.isLevelEnabled('debug')) return;
    const line = m.map(String).join(' ');
    if (/Received a message|Sending a WebSocket message|Calling ack\(\)/.test(line)) return;
    log.debug(redactSecrets(line));
  };
  return {
    debug: write,
    info: write,
    warn: write,
    error: write,
    setLevel: () => undefined,
    getLevel: () => (log.isLevelEnabled('debug') ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => undefined,
  };
}

export interface SocketModeConnectionOptions {
  appToken: string;
  slackApiUrl: string;
  /** After Slack's `disconnect`, how long unacked envelopes may keep the old socket open. */
  drainMs: number;
  log: Logger;
  /** Hands an envelope to Bolt; resolves once Bolt has handled it. */
  onEnvelope: (event: ReceiverEvent) => Promise<void>;
  /** Called whenever `deliverable` changes. */
  onChange: () => void;
}

/**
 * One Socket Mode connection, from apps.connections.open until its socket is closed; never
 * reopened (a new one is made instead), so an ack always goes out on the socket that carried its
 * envelope.
 */
export class SocketModeConnection {
  /** Resolves when the connection stops taking envelopes: Slack asked for a new one, or it closed. */
  readonly ended: Promise<ConnectionEnd>;
  /** Resolves once the socket is closed, after any acks it still owed. */
  readonly closed: Promise<void>;
  private readonly client: DisconnectAwareClient;
  private readonly inFlight = new Set<string>();
  private end!: (how: ConnectionEnd) => void;
  private markClosed!: () => void;
  private open = false;
  private draining = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: SocketModeConnectionOptions) {
    this.ended = new Promise((resolve) => (this.end = resolve));
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.client = new DisconnectAwareClient({
      appToken: options.appToken,
      logger: clientLogger(options.log),
      // Reconnecting is the owner's job: the client's own waits its ping timeout first, and a
      // refused token during it is an unhandled rejection.
      autoReconnectEnabled: false,
      clientOptions: { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 0 }, timeout: 5000 },
    });
    this.client.onDisconnectRequested = (reason) => this.refreshRequested(reason);
    this.client.on('slack_event', (args: SlackEventArgs) => void this.receive(args));
    this.client.on('error', (err: unknown) =>
      options.log.warn({ err: describeError(err) }, 'Slack Socket Mode connection error'),
    );
    this.client.on('disconnected', () => {
      this.setOpen(false);
      clearTimeout(this.drainTimer);
      this.end({ kind: 'closed' });
      this.markClosed();
    });
  }

  /** Slack may deliver envelopes to it: Slack said hello and has not asked for a new connection. */
  get deliverable(): boolean {
    return this.open && !this.draining;
  }

  /** apps.connections.open, then the WebSocket until Slack's hello; rejects with why not. */
  async connect(): Promise<void> {
    await this.client.start().catch((err: unknown) => {
      throw err ?? new Error('the Socket Mode connection closed before Slack said hello');
    });
    this.setOpen(true);
  }

  /** Closes the socket (a close frame, then at most `drainMs` for Slack's). */
  close(): Promise<void> {
    this.draining = true;
    clearTimeout(this.drainTimer);
    this.setOpen(false);
    this.closing ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(bound);
        this.markClosed();
        resolve();
      };
      const bound = setTimeout(done, this.options.drainMs);
      void this.client.disconnect().finally(done);
    });
    return this.closing;
  }

  private setOpen(open: boolean): void {
    const before = this.deliverable;
    this.open = open;
    if (before !== this.deliverable) this.options.onChange();
  }

  /** Slack sends nothing more here and will close it: the acks still owed go out first. */
  private refreshRequested(reason: string): void {
    const before = this.deliverable;
    this.draining = true;
    if (before) this.options.onChange();
    this.end({ kind: 'refresh', reason });
    if (this.inFlight.size === 0) {
      void this.close();
      return;
    }
    this.drainTimer = setTimeout(() => void this.close(), this.options.drainMs);
  }

  private async receive(args: SlackEventArgs): Promise<void> {
    const id = args.envelope_id;
    if (id) this.inFlight.add(id);
    let acked = false;
    const event: ReceiverEvent = {
      body: args.body,
      retryNum: args.retry_num,
      retryReason: args.retry_reason,
      ack: async (response?: Record<string, unknown>) => {
        if (acked) return;
        acked = true;
        try {
          await args.ack(response);
        } finally {
          this.settled(id);
        }
      },
    };
    try {
      await this.options.onEnvelope(event);
    } catch (err) {
      this.options.log.error({ err: describeError(err) }, 'a Slack envelope could not be handled');
    } finally {
      this.settled(id);
    }
  }

  private settled(id: string | undefined): void {
    if (id) this.inFlight.delete(id);
    if (this.draining && this.inFlight.size === 0 && !this.closing) void this.close();
  }
}
