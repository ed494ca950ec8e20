import type { App, Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Metrics } from '../server/metrics.js';
import { Retrier, alwaysRetry } from '../retry.js';
import { SlackTokenRefusedError, refusedTokenError } from './slack-auth.js';
import { describeError } from './redact.js';
import { SocketModeConnection } from './socket-connection.js';

export interface SocketModeReceiverOptions {
  appToken: string;
  slackApiUrl: string;
  /** Connections kept open at once (Slack allows 10 per app and gives each envelope to one). */
  connections: number;
  /** After Slack's `disconnect`, how long the old socket may wait for the acks it still owes. */
  drainMs: number;
  /**
   * Longest first wait after a failed attempt to connect; doubled with each failure in a row, up
   * to 30 times this. Each wait is drawn between 0 and that, so that replicas spread out.
   */
  reconnectBaseMs: number;
  log: Logger;
  metrics: Pick<Metrics, 'slackSocketConnections' | 'slackSocketReconnects'>;
  /** Slack refused the app token while running: reconnecting cannot help. Called once. */
  onTokenRefused: (err: SlackTokenRefusedError) => void;
}

/**
 * Bolt's receiver for Socket Mode, keeping several connections open so that one being replaced
 * never leaves Slack with nowhere to deliver: a connection Slack asks to refresh is replaced at
 * once, and keeps its socket until the acks it owes are sent; a dropped one is reopened at once.
 */
export class SocketModeReceiver implements Receiver {
  private app: App | null = null;
  private readonly live = new Set<SocketModeConnection>();
  /** Aborted by stop(): ends the waits before reconnects. */
  private stopping = new AbortController();
  private stopped = true;
  private refused: SlackTokenRefusedError | null = null;

  constructor(private readonly options: SocketModeReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  /** Connections Slack may deliver to now. */
  deliverable(): number {
    let n = 0;
    for (const c of this.live) if (c.deliverable) n++;
    return n;
  }

  /**
   * Opens the connections; resolves once each has been tried (those that failed for another reason
   * keep trying in the background), rejects when Slack refuses the app token.
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.refused = null;
    this.stopping = new AbortController();
    const firstAttempts = Array.from({ length: this.options.connections }, (_, slot) => this.keepOpen(slot));
    await Promise.all(firstAttempts);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await Promise.all([...this.live].map((c) => c.close()));
  }

  /** Keeps one connection open until stopped; resolves (or rejects, refused) after its first attempt. */
  private keepOpen(slot: number): Promise<void> {
    const { log, metrics } = this.options;
    return new Promise<void>((resolveFirst, rejectFirst) => {
      let first = true;
      const firstDone = (err?: SlackTokenRefusedError): boolean => {
        if (!first) return false;
        first = false;
        if (err) rejectFirst(err);
        else resolveFirst();
        return true;
      };
      void (async () => {
        const retrier = new Retrier({
          policy: {
            retries: Infinity,
            baseMs: this.options.reconnectBaseMs,
            maxMs: this.options.reconnectBaseMs * 30,
          },
          classify: alwaysRetry(describeError),
          signal: this.stopping.signal,
          onRetry: ({ reason, delayMs }) =>
            log.warn(
              { slot, err: reason, retryInMs: delayMs, connections: this.deliverable() },
              'could not open a Slack Socket Mode connection',
            ),
        });
        while (!this.stopped && !this.refused) {
          const connection = this.connection();
          try {
            await connection.connect();
          } catch (err) {
            this.forget(connection);
            const code = refusedTokenError(err);
            if (code) {
              const refused = new SlackTokenRefusedError('SLACK_APP_TOKEN', code, 'apps.connections.open');
              this.refused ??= refused;
              if (!firstDone(refused)) this.options.onTokenRefused(refused);
              return;
            }
            firstDone();
            // Rejects only when stop() aborts the wait; the loop's condition then ends it.
            await retrier.failed(err).catch(() => undefined);
            continue;
          }
          retrier.succeeded();
          firstDone();
          if (this.stopped) {
            await connection.close();
            return;
          }
          log.info({ slot, connections: this.deliverable() }, 'Slack Socket Mode connection open');
          const end = await connection.ended;
          if (this.stopped) return;
          const reason = end.kind === 'refresh' ? end.reason : 'closed';
          metrics.slackSocketReconnects.inc({ reason });
          log.info(
            { slot, reason, connections: this.deliverable() },
            end.kind === 'refresh'
              ? 'Slack asked for a new Socket Mode connection: opening it, the old one closes once its acks are sent'
              : 'Slack Socket Mode connection closed: opening a new one',
          );
        }
        firstDone();
      })();
    });
  }

  private connection(): SocketModeConnection {
    const connection: SocketModeConnection = new SocketModeConnection({
      appToken: this.options.appToken,
      slackApiUrl: this.options.slackApiUrl,
      drainMs: this.options.drainMs,
      log: this.options.log,
      onEnvelope: (event) => this.app!.processEvent(event),
      onChange: () => this.options.metrics.slackSocketConnections.set(this.deliverable()),
    });
    this.live.add(connection);
    void connection.closed.then(() => this.forget(connection));
    return connection;
  }

  private forget(connection: SocketModeConnection): void {
    this.live.delete(connection);
    this.options.metrics.slackSocketConnections.set(this.deliverable());
  }
}
