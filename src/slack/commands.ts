import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditLog } from '../queue/audit-log.js';
import type { ClusterCacheReader } from '../queue/cluster-cache.js';
import { scopeLabel, type DiagnoseJobData } from '../queue/job-data.js';
import type { JobMessageStore } from '../queue/message-store.js';
import { jobLogFields } from '../queue/job-log.js';
import { QueueUnavailableError, failFast, type DiagnosisProducer } from '../queue/producer.js';
import { withRetry, type RetryPolicy } from '../retry.js';
import type { Metrics } from '../server/metrics.js';
import { mayDiagnose, parseRancherCommand } from './command.js';
import type { SlackPoster } from './poster.js';
import type { SlackMessage } from './render/blocks.js';
import { renderQueued } from './render/job-messages.js';
import { renderAlertList, renderAlertsOff, renderSampleSent } from './render/alerts.js';
import type { IncidentService } from '../alerts/incidents.js';
import {
  renderAlreadyRunning,
  renderAudit,
  renderAuditRefused,
  renderHelp,
  renderNotAllowed,
  renderQueuedAck,
  renderRedisDown,
  renderRedisNoAnswer,
  renderStatus,
  renderUnknownCluster,
} from './render/replies.js';

export interface SlashCommand {
  text: string;
  userId: string;
  channelId: string;
}

export interface CommandReply {
  visibility: 'ephemeral' | 'in_channel';
  message: SlackMessage;
  /** Work to do once the ack is on its way (posting the job's channel message). */
  after?: () => Promise<void>;
}

export interface CommandDeps {
  /** The producer's connection (fail-fast: no offline queue). */
  redis: Redis;
  clusters: ClusterCacheReader;
  producer: DiagnosisProducer;
  messages: JobMessageStore;
  poster: SlackPoster;
  allowed: { channels: string[]; users: string[] };
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** Incidents in ALERT_CHANNEL; null when it is not set. */
  incidents?: IncidentService | null;
  /** ALERT_CHANNEL, named in the answers about alerts. */
  alertChannel?: string | null;
  /** All the Redis calls of one command together get at most this long (default 1000 ms). */
  redisBudgetMs?: number;
  /** The audit trail `/rancher audit` reads; absent: nobody may read it here. */
  audit?: AuditLog;
  /** Whether the user approves any fix: only approvers read the audit trail. */
  isApprover?: (userId: string) => Promise<boolean>;
}

/**
 * The queued message's Redis steps are tried again up to 5 times over some seconds (each wait up
 * to 250 ms, 500 ms... 4 s); no deadline presses after the ack.
 */
const POST_RETRY: RetryPolicy = { retries: 5, baseMs: 250, maxMs: 4000 };

/**
 * Posts the job's "queued" message once the ack is out. The ack path's Redis calls are fail-fast;
 * here a Redis call that fails (a slow answer under load, a reconnect) is tried again, a few
 * times over some seconds, as long as nothing was posted yet: a retry after the post could post
 * twice. The worker posts the message too if nobody has.
 */
async function postQueuedMessage(deps: CommandDeps, jobId: string, data: DiagnoseJobData): Promise<void> {
  let posted = false;
  const post = () => {
    posted = true;
    return deps.poster.postWithLink(data.channelId, renderQueued({ jobId, data }));
  };
  await withRetry(() => deps.messages.ensure(jobId, post), {
    policy: POST_RETRY,
    classify: (err) => (posted ? { retry: false } : { retry: true, reason: String(err) }),
    onRetry: ({ reason, attempt }) =>
      deps.log.warn(
        { ...jobLogFields(jobId, data), err: reason, attempt },
        'queued message: Redis failed, trying again',
      ),
  });
}

/**
 * Decides the answer to one `/rancher` command. Only Redis is touched, with fail-fast calls that
 * together take at most `redisBudgetMs`, well within Slack's 3 seconds: when Redis is down or
 * does not answer, the ack says so instead of waiting. A queued diagnosis costs one round trip
 * (the enqueue); the cluster list comes from the reader's copy, and the channel message is posted
 * after the ack.
 */
export async function answerCommand(cmd: SlashCommand, deps: CommandDeps): Promise<CommandReply> {
  const deadline = Date.now() + (deps.redisBudgetMs ?? 1000);
  const left = () => Math.max(1, deadline - Date.now());
  const parsed = parseRancherCommand(cmd.text);
  const count = (outcome: string) => deps.metrics?.commands.inc({ subcommand: parsed.kind, outcome });
  const ephemeral = (message: SlackMessage, outcome: string): CommandReply => {
    count(outcome);
    return { visibility: 'ephemeral', message };
  };

  if (parsed.kind === 'help') return ephemeral(renderHelp(), 'ok');
  if (parsed.kind === 'invalid') return ephemeral(renderHelp(parsed.problem), 'invalid');
  try {
    if (parsed.kind === 'audit') {
      const approver = deps.isApprover ? await deps.isApprover(cmd.userId) : false;
      if (!approver || !deps.audit) return ephemeral(renderAuditRefused(), 'refused');
      const trail = deps.audit;
      const entries = await failFast(deps.redis, () => trail.latest(parsed.count), left());
      return ephemeral(renderAudit(entries), 'ok');
    }
    if (parsed.kind === 'alerts') {
      const incidents = deps.incidents;
      if (!incidents) return ephemeral(renderAlertsOff(), 'off');
      if (parsed.test) {
        count('ok');
        return {
          visibility: 'ephemeral',
          message: renderSampleSent(deps.alertChannel ?? null),
          after: async () => void (await incidents.sample(cmd.userId)),
        };
      }
      const { open, snoozes } = await failFast(deps.redis, () => incidents.list(), left());
      return ephemeral(renderAlertList(open, snoozes), 'ok');
    }
    if (parsed.kind === 'status') {
      const jobs = await deps.producer.status(parsed.jobId, undefined, left());
      const refs = await failFast(
        deps.redis,
        () => deps.messages.getMany(jobs.map((j) => j.jobId)),
        left(),
      ).catch((err: unknown) => {
        // The jobs are worth showing without their links.
        if (err instanceof QueueUnavailableError) return jobs.map(() => null);
        throw err;
      });
      const views = jobs.map((j, i) => ({
        jobId: j.jobId,
        scope: scopeLabel(j.data),
        state: j.state,
        progress: j.progress,
        attempts: j.attemptsMade + (j.state === 'active' ? 1 : 0),
        requestedBy: j.data.requestedBy,
        requestedAt: j.data.requestedAt,
        failedReason: j.failedReason,
        result: j.result,
        message: {
          channel: refs[i]?.channel ?? j.data.channelId,
          permalink: refs[i]?.permalink ?? null,
        },
      }));
      return ephemeral(renderStatus(views, parsed.jobId), 'ok');
    }

    if (!mayDiagnose(cmd, deps.allowed)) return ephemeral(renderNotAllowed(), 'refused');
    let clusterId: string | null = null;
    let clusterName: string | null = null;
    if (parsed.cluster !== null) {
      const wanted = parsed.cluster;
      const lookup = await failFast(deps.redis, () => deps.clusters.resolve(wanted), left());
      // With no list cached yet the name is passed on: the worker checks it against Rancher.
      if (!lookup.found && lookup.cache)
        return ephemeral(renderUnknownCluster(wanted, lookup.cache.clusters), 'unknown-cluster');
      clusterId = lookup.found?.id ?? wanted;
      clusterName = lookup.found?.name ?? null;
    }
    const data: DiagnoseJobData = {
      v: 1,
      clusterId,
      clusterName,
      sinceSeconds: parsed.sinceSeconds,
      watchSeconds: parsed.watchSeconds,
      channelId: cmd.channelId,
      requestedBy: cmd.userId,
      requestedAt: (deps.now?.() ?? new Date()).toISOString(),
    };
    const scope = scopeLabel(data);
    const outcome = await deps.producer.enqueue(data, left());
    if (outcome.outcome === 'already-running') {
      const where = await failFast(deps.redis, () => deps.messages.get(outcome.jobId), left()).catch(
        () => null,
      );
      return ephemeral(
        renderAlreadyRunning(outcome.jobId, scope, outcome.state, where ? `<#${where.channel}>` : null),
        'duplicate',
      );
    }
    count('queued');
    return {
      visibility: 'ephemeral',
      message: renderQueuedAck(outcome.jobId, scope, cmd.channelId),
      after: () => postQueuedMessage(deps, outcome.jobId, data),
    };
  } catch (err) {
    if (err instanceof QueueUnavailableError) {
      deps.log.warn({ err: err.message, sent: err.sent }, 'slash command refused: queue unreachable');
      // An enqueue that went out but got no answer may still have been carried out: say so.
      if (err.sent && parsed.kind === 'diagnose') return ephemeral(renderRedisNoAnswer(), 'redis-no-answer');
      return ephemeral(renderRedisDown(), 'redis-down');
    }
    throw err;
  }
}
