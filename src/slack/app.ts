import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger, type RespondFn } from '@slack/bolt';
import type { Logger } from 'pino';
import type { BotConfig } from '../config/bot.js';
import type { DiagnosisProducer } from '../queue/producer.js';
import type { JobMessageStore } from '../queue/message-store.js';
import type { PlanStore } from '../queue/plan-store.js';
import type { AuditLog } from '../queue/audit-log.js';
import type { DecisionStore } from '../queue/decision-store.js';
import type { RemediationQueue } from '../queue/remediation-queue.js';
import { redisStepJournal } from '../queue/step-journal.js';
import { DRAIN_STOP_STEP } from '../remediation/approval/executor.js';
import {
  answerDrainControl,
  DRAIN_CONTROL_IDS,
  isDrainControl,
  type DrainControlId,
} from './drain-actions.js';
import type { ReportStore } from '../queue/report-store.js';
import { ObjectViews } from './object-views.js';
import type { Redis } from 'ioredis';
import type { Metrics } from '../server/metrics.js';
import {
  ACTION_IDS,
  SHOW_REGISTRATION,
  answerClick,
  answerShowRegistration,
  type ActionId,
  type RegistrationReader,
} from './actions.js';
import { answerCommand, type CommandReply } from './commands.js';
import {
  renderClickNotRecorded,
  renderCommandFailed,
  renderSlackFailedAfterClick,
} from './render/replies.js';
import { countSlackCalls } from './web-client-metrics.js';
import { SlackPoster } from './poster.js';
import type { SlackMessage } from './render/blocks.js';
import type { ButtonSettings, ReportDecisions } from './render/decision-view.js';
import type { DiagnosisReport } from '../diagnosis/types.js';
import { ApproverDirectory } from './approvers.js';
import { AfterAckWork } from './after-ack.js';
import { ClusterCacheReader } from '../queue/cluster-cache.js';
import { describeError, redactSecrets } from './redact.js';
import { SlackTokenRefusedError, refusedTokenError } from './slack-auth.js';
import { SocketModeReceiver } from './socket-receiver.js';
import type { IncidentService } from '../alerts/incidents.js';
import { registerAlertActions } from './alert-actions.js';

export interface BotDeps {
  config: BotConfig;
  redis: Redis;
  producer: DiagnosisProducer;
  messages: JobMessageStore;
  plans: PlanStore;
  decisions: DecisionStore;
  reports: ReportStore;
  remediation: RemediationQueue;
  audit: AuditLog;
  log: Logger;
  metrics: Metrics;
  /** Slack refused a token while running (reconnecting cannot help): the process should stop. */
  onTokenRefused?: (err: SlackTokenRefusedError) => void;
  /** Reads the full registration command when an approver asks; absent: the answer points to Rancher. */
  readRegistration?: RegistrationReader;
  /**
   * The incidents of ALERT_CHANNEL, over this bot's poster, drawn with the decisions read now;
   * null when alerts are off.
   */
  incidents?: (
    poster: SlackPoster,
    decisionsFor: (report: DiagnosisReport) => Promise<ReportDecisions>,
  ) => IncidentService | null;
}

export interface SlackBot {
  app: App;
  /** Set in HTTP mode: hand Slack's requests to it. */
  receiver: HTTPReceiver | null;
  /** Call when a Slack request arrives; call what it returns once it is answered. */
  requestStarted(): () => void;
  /** Null when Slack can reach the bot (always, for the HTTP receiver), else why not. */
  notReady(): string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Which buttons a report may show, from the settings. */
export function buttonSettings(config: BotConfig): ButtonSettings {
  return {
    enabled: config.remediationEnabled,
    approvers: {
      patch: config.approversByFix.patch.length > 0,
      drain: config.approversByFix.drain.length > 0,
    },
    approvalsRequired: config.approvalsRequired,
  };
}

/**
 * Bolt's logger interface on top of pino; messages below the level are not even joined. Bolt
 * joins objects into its messages, so secrets are cut from the joined text.
 */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const at = (pinoLevel: 'debug' | 'info' | 'warn' | 'error') => {
    return (...m: unknown[]) => {
      if (log.isLevelEnabled(pinoLevel)) log[pinoLevel](redactSecrets(m.map(describe).join(' ')));
    };
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** An Error says little through String() once Bolt has wrapped it: keep its causes. */
function describe(value: unknown): string {
  if (value instanceof Error) return describeError(value);
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * The Bolt app with the `/rancher` command and the report buttons, on the HTTP receiver or on
 * Socket Mode as configured. The bot's own Web API calls do not retry: an ack or a reply that
 * cannot go out now is worth nothing later.
 */
export async function createSlackBot(deps: BotDeps): Promise<SlackBot> {
  const { config, log } = deps;
  const logger = boltLogger(log.child({ component: 'bolt' }));
  const clientOptions = { slackApiUrl: config.slackApiUrl, retryConfig: { retries: 0 }, timeout: 5000 };
  // Commands and clicks only: no events from the bot itself to ignore, no conversation state.
  const lean = { ignoreSelf: false, convoStore: false as const };
  let receiver: HTTPReceiver | null = null;
  let socketReceiver: SocketModeReceiver | null = null;
  let app: App;
  if (config.socketMode) {
    socketReceiver = new SocketModeReceiver({
      appToken: config.slackAppToken!,
      slackApiUrl: config.slackApiUrl,
      connections: config.slackSocketConnections,
      drainMs: config.slackSocketDrainMs,
      reconnectBaseMs: config.slackReconnectBaseMs,
      log: log.child({ component: 'socket-mode' }),
      metrics: deps.metrics,
      onTokenRefused: (err) => deps.onTokenRefused?.(err),
    });
    app = new App({
      token: config.slackBotToken,
      receiver: socketReceiver,
      logger,
      clientOptions,
      ...lean,
      deferInitialization: true,
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: config.slackSigningSecret!,
      endpoints: '/slack/events',
      logger,
      // Bolt answers 401 itself when the signature or the age is wrong; the command is acked
      // from its handler before any Slack call, so processing after the response is safe.
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: 2800,
      // Only a correctly signed request gets this far; Bolt's own handler would log no cause.
      processEventErrorHandler: async ({ error, response }) => {
        log.error(
          { err: error.message, code: (error as { code?: string }).code },
          'Slack request could not be handled',
        );
        if (response.headersSent) return false;
        response.writeHead(500).end();
        return true;
      },
    });
    app = new App({
      token: config.slackBotToken,
      receiver,
      logger,
      clientOptions,
      ...lean,
      deferInitialization: true,
    });
  }
  await app.init().catch((err: unknown) => {
    const code = refusedTokenError(err);
    throw code ? new SlackTokenRefusedError('SLACK_BOT_TOKEN', code, 'auth.test') : err;
  });

  countSlackCalls(app.client, deps.metrics);
  const poster = new SlackPoster(app.client, log.child({ component: 'slack' }));
  // Work after an ack (posting the queued message) waits for the acks in flight; finished at shutdown.
  const afterAck = new AfterAckWork(log);
  const clusters = new ClusterCacheReader(deps.redis, config.queuePrefix);
  const approvers = new ApproverDirectory(
    config.approversByFix,
    app.client,
    deps.redis,
    config.queuePrefix,
    log,
  );
  let incidents: IncidentService | null = null;
  const views = new ObjectViews({
    reports: deps.reports,
    decisions: deps.decisions,
    poster,
    settings: buttonSettings(config),
    log,
    alsoShownIn: async (object) => incidents?.refreshObject(object),
  });
  incidents = deps.incidents?.(poster, (report) => views.decisionsFor(report)) ?? null;
  const commandDeps = {
    incidents,
    alertChannel: config.alertChannel,
    redis: deps.redis,
    clusters,
    producer: deps.producer,
    messages: deps.messages,
    poster,
    allowed: { channels: config.diagnoseAllowedChannels, users: config.diagnoseAllowedUsers },
    log,
    metrics: deps.metrics,
    audit: deps.audit,
    isApprover: (u: string) => approvers.includes(u),
  };

  app.command('/rancher', async ({ command, ack }) => {
    const started = process.hrtime.bigint();
    const answered = afterAck.requestStarted();
    try {
      // Whatever goes wrong, Slack gets an answer: an unanswered command shows the user a bare error.
      const reply = await answerCommand(
        { text: command.text, userId: command.user_id, channelId: command.channel_id },
        commandDeps,
      ).catch((err: unknown): CommandReply => {
        log.error({ err: String(err), text: command.text }, 'slash command failed');
        deps.metrics.commands.inc({ subcommand: 'unknown', outcome: 'error' });
        return { visibility: 'ephemeral', message: renderCommandFailed() };
      });
      await ack({ response_type: reply.visibility, text: reply.message.text, blocks: reply.message.blocks });
      deps.metrics.ackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (reply.after) afterAck.schedule('posting the job message', reply.after);
    } finally {
      answered();
    }
  });

  /**
   * Every click is answered: what cannot go out through the Web API (or cannot be recorded at all)
   * is said to the clicker through the click's response_url, which needs neither Redis nor the
   * Web API. Only the clicker sees it.
   */
  const tellClicker = async (respond: RespondFn, msg: SlackMessage, action: string) => {
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: msg.text,
      blocks: msg.blocks,
    }).catch((err: unknown) =>
      log.error({ action, err: String(err) }, 'could not answer a click through its response_url'),
    );
  };

  const drainControl = (click: { actionId: DrainControlId; value: string; userId: string }) =>
    answerDrainControl(click, {
      plans: deps.plans,
      decisions: deps.decisions,
      remediation: deps.remediation,
      audit: deps.audit,
      approvers: () => approvers.members('drain'),
      requestStop: (id, stop) =>
        // The worker's journal keeps this long too: the Stop must not shorten it.
        redisStepJournal(
          deps.redis,
          config.queuePrefix,
          id,
          Math.max(config.planTtlSeconds, config.resultRetentionSeconds),
        ).record(DRAIN_STOP_STEP, stop),
      log,
      metrics: deps.metrics,
    });

  const clickIds = [...ACTION_IDS, ...DRAIN_CONTROL_IDS];
  app.action(new RegExp(`^(${clickIds.join('|')})$`), async ({ ack, body, action, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const messageTs = body.message?.ts ?? body.container?.message_ts;
    const actionId = action.action_id as ActionId | DrainControlId;
    let reply;
    try {
      reply = isDrainControl(actionId)
        ? await drainControl({ actionId, value: action.value ?? '', userId: body.user.id })
        : await answerClick(
            { actionId, value: action.value ?? '', userId: body.user.id },
            {
              plans: deps.plans,
              decisions: deps.decisions,
              remediation: deps.remediation,
              audit: deps.audit,
              approvers: (kind) => approvers.members(kind),
              settings: {
                enabled: config.remediationEnabled,
                selfApproval: config.selfApproval,
                approvalsRequired: config.approvalsRequired,
                approvalTtlSeconds: config.approvalTtlSeconds,
              },
              log,
              metrics: deps.metrics,
            },
          );
    } catch (err) {
      log.error({ action: actionId, err: String(err) }, 'a click could not be recorded');
      deps.metrics.actions.inc({ action: actionId, outcome: 'error' });
      await tellClicker(respond, renderClickNotRecorded(), actionId);
      return;
    }
    if (!channel) return;
    if (reply.ephemeral) {
      // app.client, not the listener's: Bolt hands listeners a client of its own, which the
      // Slack API call metrics would not see.
      const shown = await app.client.chat
        .postEphemeral({
          channel,
          user: body.user.id,
          text: reply.ephemeral.text,
          blocks: reply.ephemeral.blocks,
        })
        .then(
          () => true,
          (err: unknown) => {
            log.error(
              { method: 'chat.postEphemeral', channel, err: String(err) },
              'Slack Web API call failed',
            );
            return false;
          },
        );
      if (!shown) await tellClicker(respond, reply.ephemeral, actionId);
    }
    if (reply.thread && messageTs && !(await poster.post(channel, reply.thread, messageTs)))
      await tellClicker(
        respond,
        renderSlackFailedAfterClick("post the decision in the report's thread"),
        actionId,
      );
    // Dismissed from an alert: that object's alerts stay quiet until it is resolved.
    if (actionId === 'dismiss' && reply.refresh && incidents && messageTs)
      await incidents
        .dismissed({ channel, ts: messageTs }, body.user.id)
        .catch((err: unknown) => log.warn({ err: String(err) }, 'alerts: dismissal not recorded'));
    if (reply.refresh) {
      // Every message showing the object, this one included, from the stored state.
      const shown = await views.refresh(reply.refresh).catch((err: unknown) => {
        log.error({ err: String(err) }, 'could not show the decision in the reports');
        return false;
      });
      if (!shown)
        await tellClicker(respond, renderSlackFailedAfterClick('show the decision in the report'), actionId);
    }
  });

  // The answer holds the cluster's registration token: it goes through response_url alone (the
  // Web API client logs request bodies at debug level), to the clicker alone.
  app.action(SHOW_REGISTRATION, async ({ ack, body, action, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    const answer = await answerShowRegistration(
      { value: action.value ?? '', userId: body.user.id },
      {
        plans: deps.plans,
        isApprover: (u) => approvers.includes(u),
        ...(deps.readRegistration ? { readRegistration: deps.readRegistration } : {}),
        log,
        metrics: deps.metrics,
      },
    ).catch((err: unknown) => {
      log.error({ action: SHOW_REGISTRATION, err: String(err) }, 'a click could not be answered');
      deps.metrics.actions.inc({ action: SHOW_REGISTRATION, outcome: 'error' });
      return renderClickNotRecorded();
    });
    await tellClicker(respond, answer, SHOW_REGISTRATION);
  });

  if (incidents)
    registerAlertActions(app, incidents, log, (respond, msg, action) => tellClicker(respond, msg, action));

  app.error(async (err) => {
    log.error({ err: err.message, code: (err as { code?: string }).code }, 'Slack handler failed');
  });

  return {
    app,
    receiver,
    requestStarted: () => afterAck.requestStarted(),
    notReady: () =>
      socketReceiver && socketReceiver.deliverable() === 0 ? 'no Slack Socket Mode connection open' : null,
    start: async () => {
      // The HTTP receiver is served by the process's own server (see server/http.ts).
      if (config.socketMode) await app.start();
    },
    stop: async () => {
      if (config.socketMode) await app.stop();
      await afterAck.stop(5000);
    },
  };
}
