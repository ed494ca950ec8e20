import { z } from 'zod';

/** RFC 3339 as Alertmanager writes it: Go's nanoseconds, `Z` or an offset. */
const timestamp = z.iso.datetime({ offset: true });

const labels = z.record(z.string(), z.string());

/**
 * One alert of a webhook notification. Alertmanager sends each alert of the group, firing and
 * resolved alike, on every notification of that group.
 */
export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: timestamp,
  /** Resolved: when it ended. Firing: Go's zero time or when it would time out. */
  endsAt: timestamp,
  generatorURL: z.string().default(''),
  fingerprint: z.string().regex(/^[0-9a-f]{1,32}$/, "must be Alertmanager's hex fingerprint"),
});

/** Alertmanager's webhook body, version 4 (the only version it has sent since 0.6). */
export const webhookPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(webhookAlertSchema),
});

export type WebhookAlert = z.infer<typeof webhookAlertSchema>;
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The first problem with a body, as one line naming the field (the body itself is not repeated). */
export function payloadProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const where = issue.path.length ? issue.path.join('.') : 'body';
  return `${where}: ${issue.message}`;
}

/** Rancher cluster ids: `local`, RKE1's `c-xxxxx`, provisioning v2's `c-m-xxxxxxxx`. */
const CLUSTER_ID = /^(local|c-[a-z0-9]{5}|c-m-[a-z0-9]{8})$/;
const NODE_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * What an alert says about where it happened: the cluster its `cluster_id` label names (null: all
 * of them) and, with a `node_id` label too, the node object (`<cluster-id>/<node-id>`). A label
 * that is not a Rancher id is left out rather than passed on to a diagnosis.
 */
export function alertTarget(alert: WebhookAlert): { clusterId: string | null; objectKey: string | null } {
  const cluster = alert.labels.cluster_id;
  const clusterId = cluster !== undefined && CLUSTER_ID.test(cluster) ? cluster : null;
  const node = alert.labels.node_id;
  const objectKey = clusterId && node !== undefined && NODE_ID.test(node) ? `${clusterId}/${node}` : null;
  return { clusterId, objectKey };
}

/** One line for the incident: the rule's summary, its description, or the alert's name. */
export function alertSummary(alert: WebhookAlert): string {
  const text =
    alert.annotations.summary ?? alert.annotations.description ?? alert.labels.alertname ?? 'alert';
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
