import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseDurationSeconds } from '../text/duration.js';

/**
 * Settings of the Slack bot and the diagnosis workers, read from the environment once at start.
 * A missing or malformed setting stops the program with a message naming the variable.
 */
export interface BotConfig {
  slackBotToken: string;
  /** Needed by the HTTP receiver only; Socket Mode authenticates with the app token. */
  slackSigningSecret: string | null;
  slackAppToken: string | null;
  socketMode: boolean;
  /** Socket Mode connections kept open at once, so that one being replaced leaves another. */
  slackSocketConnections: number;
  /** After Slack's `disconnect`, how long the old socket may wait for the acks it owes. */
  slackSocketDrainMs: number;
  /** Ceiling of the first wait after a failed Socket Mode connect (full jitter), doubled each time up to 30 times this. */
  slackReconnectBaseMs: number;
  slackApiUrl: string;
  /** Web API retries for workers (429 waits count as retries); the bot itself does not retry. */
  slackRetries: number;
  port: number;
  /** Port of /metrics and the health endpoints, when they must not share Slack's; null: `port`. */
  metricsPort: number | null;
  redisUrl: string;
  /** BullMQ key prefix and prefix of the bot's own keys: several installs can share one Redis. */
  queuePrefix: string;
  alertChannel: string | null;
  /** Loop detection and incidents in ALERT_CHANNEL: every wait in seconds (docs/alerts.md). */
  alerts: AlertSettings;
  /** Slack user ids (U.../W...) and user group ids (S...). Empty: nobody may approve. */
  approvers: string[];
  /** Off: reports show the plans without approve buttons, and no click can start a write. */
  remediationEnabled: boolean;
  /** Who may approve each fix: APPROVERS_PATCH / APPROVERS_DRAIN, else APPROVERS. */
  approversByFix: { patch: string[]; drain: string[] };
  /** Different people whose approvals carry out each fix. */
  approvalsRequired: { patch: number; drain: number };
  selfApproval: SelfApproval;
  /** How long a report's fixes may be approved (within PLAN_TTL). */
  approvalTtlSeconds: number;
  auditRetentionSeconds: number;
  /** Entries the audit stream keeps at most, whatever their age. */
  auditMaxEntries: number;
  /** How long after a fix is applied the loop is measured again. */
  verifyAfterSeconds: number;
  /** For how long the object's writes are counted then. */
  verifyWindowSeconds: number;
  /** DRAIN_TIMEOUT, DRAIN_RETRY_INTERVAL, DRAIN_POLL_INTERVAL, DRAIN_REMOVAL_WAIT: the drain's waits, in seconds. */
  drain: { timeoutSeconds: number; retrySeconds: number; pollSeconds: number; removalWaitSeconds: number };
  /** Empty lists mean: everyone, everywhere. */
  diagnoseAllowedChannels: string[];
  diagnoseAllowedUsers: string[];
  resultRetentionSeconds: number;
  planTtlSeconds: number;
  /** Attempts per diagnosis job, transient failures only. */
  jobAttempts: number;
  workerConcurrency: number;
  /** How long SIGTERM waits for the running job before handing it back. */
  shutdownGraceMs: number;
  /** BullMQ lock and stall detection: a killed worker's job is picked up after about this long. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  clusterRefreshSeconds: number;
  /** At most one chat.update per message per this many milliseconds (the last one is always sent). */
  progressThrottleMs: number;
  /** Slack requests timestamped further ahead of now are refused; Bolt refuses those over 5 minutes old. */
  maxRequestSkewSeconds: number;
  /** Bearer token Alertmanager's webhook must send; null: no /alertmanager. A secret: never logged. */
  alertmanagerToken: string | null;
  /** Alertmanager's API, where snoozes become silences; null: snoozes stay in Redis only. */
  alertmanagerUrl: string | null;
  alertmanagerTimeoutMs: number;
}

export interface AlertSettings {
  /** A loop that lasts this long raises an incident. */
  forSeconds: number;
  /** The sliding window writes are counted over. */
  windowSeconds: number;
  /** No answer from the apiserver for this long is said once in the channel. */
  lostContactSeconds: number;
  /** The detector's leader lease: a dead leader is replaced within this. */
  leaseSeconds: number;
  /** How often the counts are judged and the apiserver's /metrics read. */
  intervalSeconds: number;
  /** Under the rule for this long: the incident is resolved. */
  resolveAfterSeconds: number;
  /** Objects starting to loop within a minute from which one summary message is posted instead. */
  summaryAt: number;
  /** The churn watch of the diagnosis an incident asks for (the detector has watched already). */
  diagnosisWatchSeconds: number;
  /** Posts in the alert channel are this far apart at least, across processes (Slack: 1 a second). */
  postGapMs: number;
  /** An open incident's plans are renewed by a new diagnosis this long before APPROVAL_TTL ends. */
  renewBeforeSeconds: number;
}

export type BotRole = 'bot' | 'worker' | 'serve';

/**
 * May the person who asked for the diagnosis approve its fix: never; only when no other approver
 * exists (the default: a second pair of eyes whenever there is one); always.
 */
export type SelfApproval = 'never' | 'when-alone' | 'always';

const text = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? null : v));

/** A Slack token of one kind: a token of another kind is refused by Slack at start, less clearly. */
const tokenOf = (prefix: string, what: string) =>
  text.refine((v) => v === null || v.startsWith(prefix), {
    message: `must be ${what}; the value given does not start with ${prefix}`,
  });

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );

const bool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const s = (v ?? '').trim().toLowerCase();
    if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
    if (s === '1' || s === 'true' || s === 'yes') return true;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
    return z.NEVER;
  });

const int = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^\d+$/.test(v.trim()) || Number(v) < min) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number >= ${min}, got "${v}"` });
        return z.NEVER;
      }
      return Number(v.trim());
    });

/** 90s, 30m, 24h, 7d or plain seconds. */
const duration = (fallbackSeconds: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallbackSeconds;
      const seconds = parseDurationSeconds(v, { bareSeconds: true });
      if (seconds === null) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration such as 90s, 30m, 24h or 7d, got "${v}"`,
        });
        return z.NEVER;
      }
      return seconds;
    });

const approverList = list.refine((ids) => ids.every((id) => /^[UWS][A-Z0-9]+$/.test(id)), {
  message: 'must be Slack user ids (U..., W...) or user group ids (S...), comma separated',
});

const envSchema = z.object({
  SLACK_BOT_TOKEN: tokenOf('xoxb-', 'a bot token (Bot User OAuth Token, xoxb-...)'),
  SLACK_SIGNING_SECRET: text,
  SLACK_APP_TOKEN: tokenOf('xapp-', 'an app-level token (xapp-...)'),
  SLACK_SOCKET_MODE: bool,
  SLACK_SOCKET_CONNECTIONS: int(2, 1).refine((n) => n <= 10, { message: 'Slack allows at most 10' }),
  SLACK_SOCKET_DRAIN_MS: int(5000),
  SLACK_RECONNECT_BASE_MS: int(1000),
  SLACK_API_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 'https://slack.com/api/' : v))
    .refine((v) => /^https?:\/\/\S+$/.test(v), { message: 'must be an http(s) URL' })
    .transform((v) => (v.endsWith('/') ? v : `${v}/`)),
  SLACK_RETRIES: int(3),
  PORT: int(3000).refine((p) => p <= 65535, { message: 'must be a port number' }),
  METRICS_PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return null;
      const port = Number(v.trim());
      if (!/^\d+$/.test(v.trim()) || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `must be a port number, got "${v}"` });
        return z.NEVER;
      }
      return port;
    }),
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 'redis://127.0.0.1:6379' : v))
    .refine((v) => /^rediss?:\/\/\S+$/.test(v), { message: 'must be a redis:// or rediss:// URL' }),
  QUEUE_PREFIX: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 'rancher-doctor' : v))
    .refine((v) => /^[A-Za-z0-9_.-]+$/.test(v), { message: 'letters, digits, _ . - only' }),
  ALERT_CHANNEL: text,
  ALERT_FOR: duration(60),
  ALERT_WINDOW: duration(60).refine((s) => s >= 1, { message: 'must be at least 1s' }),
  ALERT_LOST_CONTACT: duration(120),
  ALERT_LEASE: duration(30).refine((s) => s >= 1, { message: 'must be at least 1s' }),
  ALERT_INTERVAL: duration(10).refine((s) => s >= 1, { message: 'must be at least 1s' }),
  ALERT_RESOLVE_AFTER: duration(300),
  ALERT_SUMMARY_AT: int(5, 2),
  ALERT_DIAGNOSIS_WATCH: duration(15),
  ALERT_POST_GAP_MS: int(1000),
  ALERT_RENEW_BEFORE: duration(300),
  APPROVERS: approverList,
  APPROVERS_PATCH: approverList,
  APPROVERS_DRAIN: approverList,
  REMEDIATION_ENABLED: bool,
  APPROVALS_REQUIRED_PATCH: int(1, 1),
  APPROVALS_REQUIRED_DRAIN: int(1, 1),
  SELF_APPROVAL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 'when-alone' : v.toLowerCase()))
    .pipe(z.enum(['never', 'when-alone', 'always'], { message: 'must be never, when-alone or always' })),
  APPROVAL_TTL: duration(30 * 60),
  AUDIT_RETENTION: duration(90 * 86400),
  AUDIT_MAX_ENTRIES: int(100_000, 100),
  VERIFY_AFTER: duration(120),
  VERIFY_WINDOW: duration(60),
  DRAIN_TIMEOUT: duration(600),
  DRAIN_RETRY_INTERVAL: duration(5),
  DRAIN_POLL_INTERVAL: duration(2),
  DRAIN_REMOVAL_WAIT: duration(120),
  DIAGNOSE_ALLOWED_CHANNELS: list.refine((ids) => ids.every((id) => /^[CGD][A-Z0-9]+$/.test(id)), {
    message: 'must be Slack channel ids (C..., G...), comma separated',
  }),
  DIAGNOSE_ALLOWED_USERS: list.refine((ids) => ids.every((id) => /^[UW][A-Z0-9]+$/.test(id)), {
    message: 'must be Slack user ids (U..., W...), comma separated',
  }),
  RESULT_RETENTION: duration(7 * 86400),
  PLAN_TTL: duration(86400),
  JOB_ATTEMPTS: int(3, 1),
  WORKER_CONCURRENCY: int(2, 1),
  SHUTDOWN_GRACE_MS: int(25_000),
  LOCK_DURATION_MS: int(30_000, 1000),
  STALLED_INTERVAL_MS: int(30_000, 500),
  CLUSTER_REFRESH: duration(300),
  PROGRESS_THROTTLE_MS: int(1000),
  SLACK_MAX_SKEW: duration(300),
  ALERTMANAGER_TOKEN: text.refine((v) => v === null || /^\S{16,}$/.test(v), {
    message: 'must be at least 16 characters with no spaces (e.g. openssl rand -hex 32)',
  }),
  ALERTMANAGER_URL: text.refine((v) => v === null || /^https?:\/\/\S+$/.test(v), {
    message: 'must be an http(s) URL',
  }),
  ALERTMANAGER_TIMEOUT: duration(10),
});

export type Env = Record<string, string | undefined>;

export function loadBotConfig(env: Env, role: BotRole): BotConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') || 'environment';
    throw new UsageError(`bad setting ${name}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  if (!e.SLACK_BOT_TOKEN) throw new UsageError('missing setting SLACK_BOT_TOKEN (xoxb-...)');
  const socketMode = e.SLACK_SOCKET_MODE;
  // An approval outliving its plan would find nothing to carry out.
  if (e.APPROVAL_TTL > e.PLAN_TTL) {
    throw new UsageError(
      `bad setting APPROVAL_TTL: must be within PLAN_TTL (${e.PLAN_TTL}s), got ${e.APPROVAL_TTL}s`,
    );
  }
  if (role !== 'worker') {
    if (socketMode && !e.SLACK_APP_TOKEN) {
      throw new UsageError('missing setting SLACK_APP_TOKEN (xapp-...): SLACK_SOCKET_MODE is on');
    }
    if (!socketMode && !e.SLACK_SIGNING_SECRET) {
      throw new UsageError(
        'missing setting SLACK_SIGNING_SECRET: the HTTP receiver verifies every request with it (or set SLACK_SOCKET_MODE=true with SLACK_APP_TOKEN)',
      );
    }
  }
  if (e.ALERTMANAGER_TOKEN && role !== 'worker' && !socketMode && e.METRICS_PORT === null) {
    throw new UsageError(
      'ALERTMANAGER_TOKEN needs METRICS_PORT: /alertmanager is served on the internal port only, never on the one Slack reaches',
    );
  }
  return {
    slackBotToken: e.SLACK_BOT_TOKEN,
    slackSigningSecret: e.SLACK_SIGNING_SECRET,
    slackAppToken: e.SLACK_APP_TOKEN,
    socketMode,
    slackSocketConnections: e.SLACK_SOCKET_CONNECTIONS,
    slackSocketDrainMs: e.SLACK_SOCKET_DRAIN_MS,
    slackReconnectBaseMs: e.SLACK_RECONNECT_BASE_MS,
    slackApiUrl: e.SLACK_API_URL,
    slackRetries: e.SLACK_RETRIES,
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    alertChannel: e.ALERT_CHANNEL,
    alerts: {
      forSeconds: e.ALERT_FOR,
      windowSeconds: e.ALERT_WINDOW,
      lostContactSeconds: e.ALERT_LOST_CONTACT,
      leaseSeconds: e.ALERT_LEASE,
      intervalSeconds: e.ALERT_INTERVAL,
      resolveAfterSeconds: e.ALERT_RESOLVE_AFTER,
      summaryAt: e.ALERT_SUMMARY_AT,
      diagnosisWatchSeconds: e.ALERT_DIAGNOSIS_WATCH,
      postGapMs: e.ALERT_POST_GAP_MS,
      renewBeforeSeconds: e.ALERT_RENEW_BEFORE,
    },
    approvers: e.APPROVERS,
    remediationEnabled: e.REMEDIATION_ENABLED,
    approversByFix: {
      patch: e.APPROVERS_PATCH.length ? e.APPROVERS_PATCH : e.APPROVERS,
      drain: e.APPROVERS_DRAIN.length ? e.APPROVERS_DRAIN : e.APPROVERS,
    },
    approvalsRequired: { patch: e.APPROVALS_REQUIRED_PATCH, drain: e.APPROVALS_REQUIRED_DRAIN },
    selfApproval: e.SELF_APPROVAL,
    approvalTtlSeconds: e.APPROVAL_TTL,
    auditRetentionSeconds: e.AUDIT_RETENTION,
    auditMaxEntries: e.AUDIT_MAX_ENTRIES,
    verifyAfterSeconds: e.VERIFY_AFTER,
    verifyWindowSeconds: e.VERIFY_WINDOW,
    drain: {
      timeoutSeconds: e.DRAIN_TIMEOUT,
      retrySeconds: e.DRAIN_RETRY_INTERVAL,
      pollSeconds: e.DRAIN_POLL_INTERVAL,
      removalWaitSeconds: e.DRAIN_REMOVAL_WAIT,
    },
    diagnoseAllowedChannels: e.DIAGNOSE_ALLOWED_CHANNELS,
    diagnoseAllowedUsers: e.DIAGNOSE_ALLOWED_USERS,
    resultRetentionSeconds: e.RESULT_RETENTION,
    planTtlSeconds: e.PLAN_TTL,
    jobAttempts: e.JOB_ATTEMPTS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    lockDurationMs: e.LOCK_DURATION_MS,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    clusterRefreshSeconds: e.CLUSTER_REFRESH,
    progressThrottleMs: e.PROGRESS_THROTTLE_MS,
    maxRequestSkewSeconds: e.SLACK_MAX_SKEW,
    alertmanagerToken: e.ALERTMANAGER_TOKEN,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    alertmanagerTimeoutMs: e.ALERTMANAGER_TIMEOUT * 1000,
  };
}

/** Every environment variable this module reads, for documentation checks. */
export const BOT_SETTING_NAMES = Object.keys(envSchema.shape);
