/**
 * Incidents: one per fingerprint, kept in a store any process can read (Redis), shown as one
 * message in the alert channel and edited in place from firing to diagnosed to resolved. Every
 * change of one incident happens under its lock, so that the detector, the Alertmanager
 * webhook and a button click in other processes never post it twice.
 */
import type { DrainPlan } from '../diagnosis/types.js';
import { decisionId, objectKey, type Decision, type ObjectRef } from '../remediation/approval/decision.js';
import type { DiagnosisOutcome, Incident, IncidentSource, MessageRef, Snooze } from './incident.js';
import { lastedSeconds, offerOf, rateDoubled, renewAt, watchFingerprint } from './incident.js';

/** What the Alertmanager webhook (and the detector) call. */
export interface IncidentSink {
  fire(i: {
    fingerprint: string;
    clusterId: string | null;
    objectKey: string | null;
    source: 'watch' | 'metrics' | 'alertmanager';
    summary: string;
    startsAt: string;
  }): Promise<void>;
  resolve(fingerprint: string, at: string): Promise<void>;
}

export type FireInput = Parameters<IncidentSink['fire']>[0];

export interface IncidentStore {
  get(fingerprint: string): Promise<Incident | null>;
  put(incident: Incident): Promise<void>;
  /** Every incident not resolved. */
  open(): Promise<Incident[]>;
  /** Runs `fn` holding the named lock (waits for it); the lock lapses if its holder dies. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  snooze(snooze: Snooze): Promise<void>;
  snoozedUntil(fingerprint: string, now: number): Promise<Snooze | null>;
  snoozes(now: number): Promise<Snooze[]>;
  /** True the first time for `key`: for what must be posted once (a report's thread). */
  claimOnce(key: string): Promise<boolean>;
  saveDiagnosis(fingerprint: string, outcome: DiagnosisOutcome): Promise<void>;
  getDiagnosis(fingerprint: string): Promise<DiagnosisOutcome | null>;
}

/** A thing worth a reply in the incident's thread. */
export type IncidentNote =
  | { kind: 'rate-doubled'; writesPerMinute: number; wasPerMinute: number }
  | { kind: 'acknowledged'; userId: string }
  | { kind: 'snoozed'; userId: string; until: string }
  | { kind: 'dismissed'; userId: string }
  | { kind: 'diagnosis-failed'; error: string }
  | { kind: 'diagnosis-elsewhere'; jobId: string }
  | { kind: 'plans-renewed'; offered: string[]; was: string[] }
  | { kind: 'resolved'; lastedSeconds: number; peakPerMinute: number | null }
  | RemediationNote;

/**
 * A fix carried out on an object an incident shows: its result, its measurement afterwards, an
 * uncordon; the same words as in a diagnosis's thread. `target` names the object for a person.
 */
export interface RemediationNote {
  kind: 'remediation';
  step: 'result' | 'verified' | 'uncordoned';
  decision: Decision;
  target: string;
  drainPlan: DrainPlan | null;
  at: string;
}

export interface LostContact {
  since: string;
  /** The highest write rates seen last, objects as `<cluster>/<node>`. */
  lastRates: { key: string; writesPerMinute: number }[];
  apiserverMemoryBytes: number | null;
}

/** How incidents reach the channel; the Slack implementation paces posts per channel. */
export interface AlertPublisher {
  /** Posts the incident's message: in the channel, or in `thread` (a summary's). */
  post(
    incident: Incident,
    diagnosis: DiagnosisOutcome | null,
    thread?: MessageRef,
  ): Promise<MessageRef | null>;
  /** The incident's root message if one was posted already (by a process that died before storing it). */
  find(incident: Incident): Promise<MessageRef | null>;
  update(incident: Incident, diagnosis: DiagnosisOutcome | null): Promise<boolean>;
  note(incident: Incident, note: IncidentNote): Promise<void>;
  summary(incidents: Incident[]): Promise<MessageRef | null>;
  /** The report's own thread replies, under the incident's message. */
  reportThread(incident: Incident, diagnosis: DiagnosisOutcome): Promise<void>;
  lostContact(info: LostContact): Promise<void>;
  /** A message that looks like an alert, marked as a test: no incident, no snooze. */
  sample(requestedBy: string | null): Promise<MessageRef | null>;
}

export interface DiagnosisRequester {
  /** Queues a diagnosis of the cluster (all clusters: null); `queued` false when one already runs. */
  request(clusterId: string | null): Promise<{ jobId: string; queued: boolean }>;
}

export interface IncidentClock {
  now(): number;
  /** Calls `fn` after `ms`; the timer must not keep a process alive. */
  later(ms: number, fn: () => void): void;
}

export interface IncidentServiceOptions {
  store: IncidentStore;
  publisher: AlertPublisher;
  diagnoses: DiagnosisRequester;
  clock: IncidentClock;
  /** This many objects (or more) starting within a minute are shown in one summary message. */
  summaryAt: number;
  /** Fires are gathered this long before they are shown, so that a burst becomes one summary. */
  gatherMs: number;
  /**
   * The plans of a report can be approved for `approvalTtlMs` after it is made (APPROVAL_TTL);
   * while an incident stays open a new diagnosis renews them `beforeMs` ahead. Absent: no renewal.
   */
  renewal?: { approvalTtlMs: number; beforeMs: number };
  onError?: (what: string, err: unknown) => void;
}

/** A renewal whose diagnosis failed is asked for again after this long. */
const RENEW_RETRY_MS = 60_000;

const FLUSH_LOCK = 'flush';
const BURST_MS = 60_000;

export class IncidentService implements IncidentSink {
  private flushScheduled = false;

  constructor(private readonly o: IncidentServiceOptions) {}

  async fire(i: FireInput): Promise<void> {
    if (await this.record(i, null)) this.scheduleFlush();
  }

  /**
   * A measured rate of a looping object: opens its incident when there is none (and no snooze),
   * and tells the thread when the rate has doubled. True when an incident was opened.
   */
  async observe(i: FireInput, writesPerMinute: number): Promise<boolean> {
    return this.record(i, writesPerMinute);
  }

  private async record(i: FireInput, writesPerMinute: number | null): Promise<boolean> {
    const { store, clock } = this.o;
    return store.withLock(i.fingerprint, async () => {
      const existing = await store.get(i.fingerprint);
      if (existing && existing.state !== 'resolved') {
        if (writesPerMinute !== null) await this.rate(existing, writesPerMinute);
        return false;
      }
      if (await store.snoozedUntil(i.fingerprint, clock.now())) return false;
      const incident: Incident = {
        v: 1,
        fingerprint: i.fingerprint,
        clusterId: i.clusterId,
        objectKey: i.objectKey,
        source: i.source,
        summary: i.summary,
        startsAt: i.startsAt,
        state: 'pending',
        message: null,
        summaryRoot: null,
        writesPerMinute,
        peakPerMinute: writesPerMinute,
        toldPerMinute: writesPerMinute,
        ack: null,
        dismissed: null,
        diagnosis: null,
        resolvedAt: null,
        previous: existing
          ? { startsAt: existing.startsAt, resolvedAt: existing.resolvedAt, message: existing.message }
          : null,
      };
      await store.put(incident);
      return true;
    });
  }

  private async rate(incident: Incident, writesPerMinute: number): Promise<void> {
    const was = incident.toldPerMinute;
    const doubled = rateDoubled(incident, writesPerMinute) && !incident.dismissed;
    incident.writesPerMinute = writesPerMinute;
    incident.peakPerMinute = Math.max(incident.peakPerMinute ?? 0, writesPerMinute);
    if (incident.toldPerMinute === null || doubled) incident.toldPerMinute = writesPerMinute;
    await this.o.store.put(incident);
    if (doubled && incident.message)
      await this.o.publisher.note(incident, {
        kind: 'rate-doubled',
        writesPerMinute,
        wasPerMinute: was ?? 0,
      });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.o.clock.later(this.o.gatherMs, () => {
      this.flushScheduled = false;
      this.flush().catch((err: unknown) => this.o.onError?.('flush', err));
    });
  }

  /**
   * Shows every incident not yet shown: each in its own message, or all of them in one summary
   * when a burst of them started together; then asks for a diagnosis of each cluster once (for
   * those shown by a process that died before it asked, too).
   */
  async flush(): Promise<void> {
    const { store } = this.o;
    await store.withLock(FLUSH_LOCK, async () => {
      const open = await store.open();
      const pending = open.filter((i) => i.state === 'pending' && !i.message);
      const unasked = open.filter((i) => i.state === 'firing' && i.message && !i.diagnosis);
      if (pending.length) await this.show(pending, open);
      const clusters = new Map<string | null, Incident[]>();
      for (const p of [...pending, ...unasked])
        clusters.set(p.clusterId, [...(clusters.get(p.clusterId) ?? []), p]);
      for (const [clusterId, incidents] of clusters) await this.diagnose(clusterId, incidents);
    });
  }

  private async show(pending: Incident[], open: Incident[]): Promise<void> {
    const { store, publisher, clock } = this.o;
    const now = clock.now();
    const recent = open.filter(
      (i) => i.message && !i.summaryRoot && now - Date.parse(i.startsAt) < BURST_MS,
    ).length;
    const asSummary = pending.length >= 2 && pending.length + recent >= this.o.summaryAt;
    const summaryRoot = asSummary ? await publisher.summary(pending) : null;
    for (const p of pending) {
      await store.withLock(p.fingerprint, async () => {
        const incident = await store.get(p.fingerprint);
        if (!incident || incident.state !== 'pending' || incident.message) return;
        // A post tried before, under this lock, by a process that died before it stored the ts:
        // its message may be in the channel already, and a second root would leave it firing.
        const tried = !(await store.claimOnce(`post:${incident.fingerprint}:${incident.startsAt}`));
        const found = tried && !summaryRoot ? await publisher.find(incident) : null;
        incident.summaryRoot = found ? null : summaryRoot;
        incident.state = 'firing';
        incident.message = found ?? (await publisher.post(incident, null, summaryRoot ?? undefined));
        // The message says the rate: the next doubling is measured from it.
        if (incident.writesPerMinute !== null) incident.toldPerMinute = incident.writesPerMinute;
        await store.put(incident);
      });
    }
  }

  private async diagnose(clusterId: string | null, incidents: Incident[]): Promise<void> {
    let asked: { jobId: string; queued: boolean };
    try {
      asked = await this.o.diagnoses.request(clusterId);
    } catch (err) {
      this.o.onError?.('diagnosis request', err);
      return;
    }
    for (const i of incidents) {
      await this.change(i.fingerprint, async (incident) => {
        if (incident.state === 'resolved') return false;
        incident.diagnosis = { jobId: asked.jobId, state: asked.queued ? 'queued' : 'running' };
        incident.state = 'diagnosing';
        return true;
      });
    }
  }

  /** A diagnosis has started: the incidents waiting on it say so. */
  async diagnosisStarted(jobId: string): Promise<void> {
    for (const i of await this.waitingOn(jobId)) {
      await this.change(i.fingerprint, async (incident) => {
        if (incident.diagnosis?.jobId !== jobId || incident.state === 'resolved') return false;
        incident.diagnosis = { jobId, state: 'running' };
        incident.state = 'diagnosing';
        return true;
      });
    }
  }

  /** A diagnosis finished: each incident waiting on it shows the report (and its buttons). */
  async diagnosed(outcome: DiagnosisOutcome): Promise<void> {
    const { store, publisher } = this.o;
    // Read before the renewals: an incident renewed by this report is not waiting on it.
    const waiting = await this.waitingOn(outcome.jobId);
    await this.renewed(outcome);
    this.scheduleRenewal(outcome);
    for (const i of waiting) {
      await store.saveDiagnosis(i.fingerprint, outcome);
      await this.change(i.fingerprint, async (incident) => {
        if (incident.diagnosis?.jobId !== outcome.jobId || incident.state === 'resolved') return false;
        incident.diagnosis = { jobId: outcome.jobId, state: 'done' };
        incident.state = 'diagnosed';
        return true;
      });
      const now = await store.get(i.fingerprint);
      if (
        now?.message &&
        !now.summaryRoot &&
        (await store.claimOnce(`report:${i.fingerprint}:${outcome.jobId}`))
      )
        await publisher.reportThread(now, outcome);
    }
  }

  async diagnosisFailed(jobId: string, error: string): Promise<void> {
    // A renewal that failed leaves the report shown as it is; it is asked for again later.
    for (const i of (await this.o.store.open()).filter((r) => r.renewing?.jobId === jobId)) {
      await this.mark(i.fingerprint, (incident) => {
        if (incident.renewing?.jobId !== jobId) return false;
        incident.renewing = { jobId, at: new Date(this.o.clock.now()).toISOString(), failed: true };
        return true;
      });
      this.o.onError?.(
        'plans renewal',
        new Error(`the diagnosis renewing ${i.fingerprint} failed: ${error}`),
      );
    }
    for (const i of await this.waitingOn(jobId)) {
      await this.change(i.fingerprint, async (incident) => {
        if (incident.diagnosis?.jobId !== jobId || incident.state === 'resolved') return false;
        incident.diagnosis = { jobId, state: 'failed', error };
        incident.state = 'firing';
        return true;
      });
      const now = await this.o.store.get(i.fingerprint);
      if (now?.message) await this.o.publisher.note(now, { kind: 'diagnosis-failed', error });
    }
  }

  /**
   * Asks for a new diagnosis of each cluster whose open incidents show plans about to expire, so
   * that their buttons stay usable while the incident lasts. Not for an incident resolved,
   * snoozed or dismissed, nor one already being renewed. Every process may call it: the incident's
   * lock and the queue's one diagnosis per cluster keep it to one.
   */
  async renewDue(): Promise<void> {
    const r = this.o.renewal;
    if (!r) return;
    const { store, clock } = this.o;
    const now = clock.now();
    const due = new Map<string | null, Incident[]>();
    for (const i of await store.open()) {
      if (!(await this.renewable(i, now))) continue;
      due.set(i.clusterId, [...(due.get(i.clusterId) ?? []), i]);
    }
    for (const [clusterId, incidents] of due) {
      let asked: { jobId: string };
      try {
        asked = await this.o.diagnoses.request(clusterId);
      } catch (err) {
        this.o.onError?.('plans renewal request', err);
        continue;
      }
      const at = new Date(now).toISOString();
      for (const i of incidents)
        await this.mark(i.fingerprint, async (incident) => {
          if (!(await this.renewable(incident, now))) return false;
          incident.renewing = { jobId: asked.jobId, at };
          return true;
        });
    }
  }

  private async renewable(i: Incident, now: number): Promise<boolean> {
    const r = this.o.renewal;
    if (!r || i.state !== 'diagnosed' || i.dismissed || !i.message) return false;
    if (i.renewing && !(i.renewing.failed && now - Date.parse(i.renewing.at) >= RENEW_RETRY_MS)) return false;
    const shown = await this.shownDiagnosis(i);
    if (!shown || renewAt(shown, r.approvalTtlMs, r.beforeMs) > now) return false;
    return !(await this.o.store.snoozedUntil(i.fingerprint, now));
  }

  /** Checks for renewals when this report's plans come due (every process sweeps as well). */
  private scheduleRenewal(outcome: DiagnosisOutcome): void {
    const r = this.o.renewal;
    if (!r) return;
    const wait = Math.max(0, renewAt(outcome, r.approvalTtlMs, r.beforeMs) - this.o.clock.now());
    this.o.clock.later(wait, () => {
      this.renewDue().catch((err: unknown) => this.o.onError?.('plans renewal', err));
    });
  }

  /**
   * The report of a renewal: the message is edited in place with it. The thread hears of it only
   * when what the report offers changed; the same fixes offered again are no news.
   */
  private async renewed(outcome: DiagnosisOutcome): Promise<void> {
    const { store, publisher } = this.o;
    for (const i of (await store.open()).filter((r) => r.renewing?.jobId === outcome.jobId)) {
      const before = await this.shownDiagnosis(i);
      await store.saveDiagnosis(i.fingerprint, outcome);
      const done = await this.change(i.fingerprint, async (incident) => {
        if (incident.renewing?.jobId !== outcome.jobId || incident.state === 'resolved') return false;
        incident.renewing = null;
        incident.diagnosis = { jobId: outcome.jobId, state: 'done' };
        incident.state = 'diagnosed';
        return true;
      });
      if (!done || !before) continue;
      const was = offerOf(done, before);
      const offered = offerOf(done, outcome);
      if (was.join('\n') !== offered.join('\n'))
        await publisher.note(done, { kind: 'plans-renewed', offered, was });
    }
  }

  /** Changes one incident under its lock without touching its message. */
  private async mark(
    fingerprint: string,
    edit: (incident: Incident) => boolean | Promise<boolean>,
  ): Promise<void> {
    const { store } = this.o;
    await store.withLock(fingerprint, async () => {
      const incident = await store.get(fingerprint);
      if (incident && (await edit(incident))) await store.put(incident);
    });
  }

  private async waitingOn(jobId: string): Promise<Incident[]> {
    return (await this.o.store.open()).filter((i) => i.diagnosis?.jobId === jobId);
  }

  async resolve(fingerprint: string, at: string): Promise<void> {
    let resolved: Incident | null = null;
    await this.change(fingerprint, async (incident) => {
      if (incident.state === 'resolved') return false;
      incident.state = 'resolved';
      incident.resolvedAt = at;
      resolved = incident;
      return true;
    });
    const r = resolved as Incident | null;
    if (r?.message)
      await this.o.publisher.note(r, {
        kind: 'resolved',
        lastedSeconds: lastedSeconds(r, this.o.clock.now()),
        peakPerMinute: r.peakPerMinute,
      });
  }

  async acknowledge(fingerprint: string, userId: string): Promise<Incident | null> {
    const at = new Date(this.o.clock.now()).toISOString();
    const done = await this.change(fingerprint, async (incident) => {
      if (incident.state === 'resolved' || incident.ack?.userId === userId) return false;
      incident.ack = { userId, at };
      return true;
    });
    if (done?.message) await this.o.publisher.note(done, { kind: 'acknowledged', userId });
    return done;
  }

  async snooze(fingerprint: string, seconds: number, userId: string): Promise<Snooze> {
    const until = new Date(this.o.clock.now() + seconds * 1000).toISOString();
    const snooze: Snooze = { fingerprint, until, userId };
    await this.o.store.snooze(snooze);
    const incident = await this.o.store.get(fingerprint);
    if (incident?.message && incident.state !== 'resolved')
      await this.o.publisher.note(incident, { kind: 'snoozed', userId, until });
    return snooze;
  }

  /** The finding was dismissed from the incident's message: quiet until it is resolved. */
  async dismissed(message: { channel: string; ts: string }, userId: string): Promise<boolean> {
    const hit = (await this.o.store.open()).find(
      (i) => i.message?.channel === message.channel && i.message.ts === message.ts,
    );
    if (!hit) return false;
    const at = new Date(this.o.clock.now()).toISOString();
    const done = await this.change(hit.fingerprint, async (incident) => {
      if (incident.dismissed) return false;
      incident.dismissed = { userId, at };
      return true;
    });
    if (done?.message) await this.o.publisher.note(done, { kind: 'dismissed', userId });
    return done !== null;
  }

  /** The stored report, when it is this incident's (a new incident of the object has none yet). */
  private async shownDiagnosis(incident: Incident): Promise<DiagnosisOutcome | null> {
    if (incident.diagnosis?.state !== 'done') return null;
    const outcome = await this.o.store.getDiagnosis(incident.fingerprint);
    return outcome?.jobId === incident.diagnosis.jobId ? outcome : null;
  }

  /**
   * Something was decided on a node object: each open incident whose report shows it is drawn
   * again, so its message shows the decision in place of the buttons.
   */
  async refreshObject(object: { clusterId: string; nodeId: string }): Promise<void> {
    for (const i of await this.o.store.open()) {
      if (!i.message) continue;
      const shown = await this.shownDiagnosis(i);
      const showsIt = shown?.report.findings.some(
        (f) => f.clusterId === object.clusterId && f.nodeId === object.nodeId,
      );
      if (showsIt) await this.change(i.fingerprint, async () => true);
    }
  }

  /**
   * A fix on a node object went a step further: told once in the thread of the object's own
   * incident (open, or resolved before the news came when the fix came from its report), of each
   * open incident naming no object whose report shows it, and, when the object has no incident of
   * its own, of another object's incident whose report the fix was approved from. A resolved
   * incident's message is drawn again here (open ones are by refreshObject).
   */
  async remediated(object: ObjectRef, note: RemediationNote): Promise<void> {
    const { store, publisher } = this.o;
    const d = note.decision;
    const key = objectKey(object);
    const open = (await store.open()).filter((i) => i.message);
    const told = open.filter((i) => i.objectKey === key);
    if (!told.length) {
      const closed = await store.get(watchFingerprint(object.clusterId, object.nodeId));
      if (closed?.message && closed.state === 'resolved' && closed.diagnosis?.jobId === d.diagnosisJobId)
        told.push(closed);
    }
    const hasOwn = told.length > 0;
    for (const i of open) {
      if (i.objectKey === key || (i.objectKey && hasOwn)) continue;
      const shown = await this.shownDiagnosis(i);
      if (!shown?.report.findings.some((f) => f.clusterId === object.clusterId && f.nodeId === object.nodeId))
        continue;
      if (!i.objectKey || shown.jobId === d.diagnosisJobId) told.push(i);
    }
    const step = note.step === 'uncordoned' ? `uncordoned:${d.result?.drain?.uncordon?.at ?? ''}` : note.step;
    for (const i of told) {
      if (!(await store.claimOnce(`remediation:${i.fingerprint}:${decisionId(object, d.number)}:${step}`)))
        continue;
      await publisher.note(i, note);
      if (i.state === 'resolved') await this.change(i.fingerprint, async () => true);
    }
  }

  async lostContact(info: LostContact): Promise<void> {
    await this.o.publisher.lostContact(info);
  }

  async list(): Promise<{ open: Incident[]; snoozes: Snooze[] }> {
    const now = this.o.clock.now();
    return { open: await this.o.store.open(), snoozes: await this.o.store.snoozes(now) };
  }

  sample(requestedBy: string | null = null): Promise<MessageRef | null> {
    return this.o.publisher.sample(requestedBy);
  }

  /**
   * Changes one incident under its lock and, when `edit` says it changed, stores it and edits its
   * message. Returns the incident as changed, or null when nothing changed.
   */
  private async change(
    fingerprint: string,
    edit: (incident: Incident) => Promise<boolean>,
  ): Promise<Incident | null> {
    const { store, publisher } = this.o;
    return store.withLock(fingerprint, async () => {
      const incident = await store.get(fingerprint);
      if (!incident || !(await edit(incident))) return null;
      await store.put(incident);
      if (incident.message) await publisher.update(incident, await this.shownDiagnosis(incident));
      return incident;
    });
  }
}

export type { Incident, IncidentSource, MessageRef, Snooze, DiagnosisOutcome };
