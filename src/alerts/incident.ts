import type { DiagnosisReport } from '../diagnosis/types.js';

/** Where an incident's message is: its root in the alert channel, or its reply in a summary's thread. */
export interface MessageRef {
  channel: string;
  ts: string;
  permalink?: string;
}

export type IncidentSource = 'watch' | 'metrics' | 'alertmanager';

/**
 * pending: stored, not yet shown; firing: shown; diagnosing: a diagnosis of its cluster is queued
 * or running; diagnosed: the message carries the report; resolved: over.
 */
export type IncidentState = 'pending' | 'firing' | 'diagnosing' | 'diagnosed' | 'resolved';

export interface Incident {
  v: 1;
  fingerprint: string;
  clusterId: string | null;
  objectKey: string | null;
  source: IncidentSource;
  summary: string;
  startsAt: string;
  state: IncidentState;
  /** The incident's own message (in a summary's thread when `summaryRoot` is set). */
  message: MessageRef | null;
  summaryRoot: MessageRef | null;
  /** Writes a minute: the last measured, the highest, and the last one told in the thread. */
  writesPerMinute: number | null;
  peakPerMinute: number | null;
  toldPerMinute: number | null;
  ack: { userId: string; at: string } | null;
  /** Dismissed from the alert: no more notes or alerts for it until it is resolved. */
  dismissed: { userId: string; at: string } | null;
  diagnosis: { jobId: string; state: 'queued' | 'running' | 'done' | 'failed'; error?: string } | null;
  resolvedAt: string | null;
  /** The incident of the same object before this one, once resolved. */
  previous: { startsAt: string; resolvedAt: string | null; message: MessageRef | null } | null;
}

export interface Snooze {
  fingerprint: string;
  until: string;
  userId: string;
}

/** The finding's plan ids, as the queue keeps them (the buttons carry only these). */
export interface PlanIds {
  patch: string | null;
  drain: string | null;
  dismiss: string;
}

/** A finished diagnosis that an incident shows. */
export interface DiagnosisOutcome {
  jobId: string;
  clusterId: string | null;
  requestedAt: string;
  report: DiagnosisReport;
  plans: Record<string, PlanIds>;
}

/** The fingerprint of a node object's loop: its cluster and the object. */
export function watchFingerprint(clusterId: string, nodeId: string): string {
  return `node:${clusterId}/${nodeId}`;
}

/** `<clusterId>/<nodeId>` from a watch key, or null for a key that is not one. */
export function splitObjectKey(key: string): { clusterId: string; nodeId: string } | null {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) return null;
  return { clusterId: key.slice(0, slash), nodeId: key.slice(slash + 1) };
}

/** How long an incident lasted, in seconds (to now while open). */
export function lastedSeconds(incident: Incident, now: number): number {
  const end = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  return Math.max(0, Math.round((end - Date.parse(incident.startsAt)) / 1000));
}

/** Worth telling in the thread: the rate at least doubled since last told. */
export function rateDoubled(incident: Incident, writesPerMinute: number): boolean {
  const told = incident.toldPerMinute;
  return told !== null && told > 0 && writesPerMinute >= 2 * told;
}

/** The finding of the report that is this incident's object, if the diagnosis found it. */
export function findingOf(incident: Incident, report: DiagnosisReport) {
  const key = incident.objectKey ? splitObjectKey(incident.objectKey) : null;
  if (!key) return null;
  return report.findings.find((f) => f.clusterId === key.clusterId && f.nodeId === key.nodeId) ?? null;
}

/** `requestedBy` of the diagnosis jobs incidents ask for: their report goes to the incident's message. */
export const ALERT_REQUESTER = 'alerts';
