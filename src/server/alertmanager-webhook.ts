import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SilenceMatcher } from '../io/alertmanager-client.js';
import {
  alertSummary,
  alertTarget,
  payloadProblem,
  webhookPayloadSchema,
  type WebhookAlert,
} from '../alerts/alertmanager-payload.js';
import type { IncidentSink } from '../alerts/incidents.js';
import { readBody, BodyTooLargeError } from './read-body.js';

/**
 * A group of 100 alerts (the receiver snippet's max_alerts) with long annotations stays well under
 * this; anything larger is not Alertmanager's.
 */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/**
 * How long a delivered alert is remembered. Alertmanager forgets resolved alerts after its data
 * retention (120 h by default) and re-sends a firing one every repeat_interval, which renews this.
 */
const SEEN_TTL_SECONDS = 7 * 86400;

/** Incidents from Alertmanager are keyed apart from the detector's, which key by object. */
export const incidentFingerprint = (alertFingerprint: string) => `alertmanager:${alertFingerprint}`;

const labelsKey = (prefix: string, fingerprint: string) => `${prefix}:alertmanager:labels:${fingerprint}`;

/**
 * The labels of the alert behind an incident of source `alertmanager` (null: none known), so that a
 * snooze of it can silence exactly that alert in Alertmanager.
 */
export async function alertLabels(
  redis: Redis,
  prefix: string,
  incident: string,
): Promise<Record<string, string> | null> {
  const raw = await redis.get(labelsKey(prefix, incident));
  if (raw === null) return null;
  const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

/** A silence of exactly the alert with these labels. */
export function matchersOf(labels: Record<string, string>): SilenceMatcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value }));
}

export interface AlertmanagerWebhookOptions {
  /** ALERTMANAGER_TOKEN: Alertmanager sends it as `Authorization: Bearer ...`. */
  token: string;
  redis: Redis;
  prefix: string;
  incidents: IncidentSink;
  log: Logger;
}

const TEXT = { 'content-type': 'text/plain' };

/**
 * `POST /alertmanager`: Alertmanager's webhook (payload version 4). Firing alerts become
 * incidents, resolved ones resolved notices, each once per alert fingerprint and start time:
 * Alertmanager sends the whole group on every notification and again after a failed one.
 */
export function alertmanagerWebhook(options: AlertmanagerWebhookOptions) {
  const expected = digest(options.token);
  const seenKey = (a: WebhookAlert) =>
    `${options.prefix}:alertmanager:seen:${a.fingerprint}:${a.startsAt}:${a.status}`;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'POST', ...TEXT }).end('method not allowed\n');
      return;
    }
    if (!authorized(req.headers.authorization, expected)) {
      req.resume();
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="alertmanager"', ...TEXT })
        .end('missing or wrong bearer token\n');
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_WEBHOOK_BYTES);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      res.writeHead(413, { connection: 'close', ...TEXT }).end(`${err.message}\n`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      res.writeHead(400, TEXT).end(`body is not JSON: ${(err as Error).message}\n`);
      return;
    }
    const parsed = webhookPayloadSchema.safeParse(json);
    if (!parsed.success) {
      res.writeHead(400, TEXT).end(`${payloadProblem(parsed.error)}\n`);
      return;
    }
    const payload = parsed.data;
    let delivered = 0;
    for (const alert of payload.alerts) {
      const key = seenKey(alert);
      const first = await options.redis.set(key, '1', 'EX', SEEN_TTL_SECONDS, 'NX');
      if (first === null) {
        await options.redis.expire(key, SEEN_TTL_SECONDS);
        continue;
      }
      try {
        if (alert.status === 'firing') {
          await options.redis.set(
            labelsKey(options.prefix, incidentFingerprint(alert.fingerprint)),
            JSON.stringify(alert.labels),
            'EX',
            SEEN_TTL_SECONDS,
          );
        }
        await deliver(options.incidents, alert);
        delivered += 1;
      } catch (err) {
        // Not remembered: Alertmanager retries a notification answered 5xx, and the retry delivers it.
        await options.redis.del(key);
        throw err;
      }
    }
    options.log.info(
      {
        receiver: payload.receiver,
        groupKey: payload.groupKey,
        alerts: payload.alerts.length,
        delivered,
        truncatedAlerts: payload.truncatedAlerts,
      },
      'Alertmanager notification',
    );
    res.writeHead(200, TEXT).end('ok\n');
  };
}

async function deliver(incidents: IncidentSink, alert: WebhookAlert): Promise<void> {
  const fingerprint = incidentFingerprint(alert.fingerprint);
  if (alert.status === 'resolved') {
    await incidents.resolve(fingerprint, new Date(alert.endsAt).toISOString());
    return;
  }
  await incidents.fire({
    fingerprint,
    ...alertTarget(alert),
    source: 'alertmanager',
    summary: alertSummary(alert),
    startsAt: new Date(alert.startsAt).toISOString(),
  });
}

/** Compared as digests: equal lengths for timingSafeEqual, and the token's length is not leaked. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}
