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
  /**
   * A new diagnosis asked for to renew the shown report's plans before they expire; the message
   * keeps the report it shows until the new one comes. `failed`: tried again later.
   */
  renewing?: { jobId: string; at: string; failed?: boolean } | null;
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

/**
 * When a shown report's plans are renewed: `beforeMs` ahead of the end of their approval time
 * (`ttlMs` from the report), never sooner than half of it, so that a margin as long as the time
 * itself cannot renew without end.
 */
export function renewAt(outcome: DiagnosisOutcome, ttlMs: number, beforeMs: number): number {
  const made = Date.parse(outcome.report.finishedAt ?? outcome.requestedAt);
  return made + Math.max(ttlMs - beforeMs, ttlMs / 2);
}

/**
 * What a report offers for an incident, in words: for its object's finding (or every finding,
 * when it names no object) the fixes with a plan. Two reports that offer the same are the same
 * to the person on call.
 */
export function offerOf(incident: Incident, outcome: DiagnosisOutcome): string[] {
  const own = incident.objectKey ? findingOf(incident, outcome.report) : null;
  const findings = incident.objectKey ? (own ? [own] : []) : outcome.report.findings;
  return findings.map((f) => {
    const plans = outcome.plans[f.id];
    const fixes = [plans?.patch ? 'patch' : null, plans?.drain ? 'drain' : null].filter(Boolean);
    return `${f.nodeId ?? f.id}: ${fixes.length ? fixes.join(' or ') : 'no fix'}`;
  });
}
