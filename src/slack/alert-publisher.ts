import type {
  AlertPublisher,
  DiagnosisOutcome,
  Incident,
  IncidentNote,
  LostContact,
  MessageRef,
} from '../alerts/incidents.js';
import { Retrier, type RetryClock } from '../retry.js';
import type { MessageMetadata, SlackPoster } from './poster.js';
import type { SlackMessage } from './render/blocks.js';
import {
  alertJobRef,
  renderIncident,
  renderLostContact,
  renderNote,
  renderSampleAlert,
  renderSummary,
} from './render/alerts.js';
import { renderReport } from './render/report.js';
import type { DiagnosisReport } from '../diagnosis/types.js';
import { NO_DECISIONS, type ReportDecisions } from './render/decision-view.js';

export interface AlertPublisherOptions {
  poster: SlackPoster;
  channel: string;
  /** Milliseconds to wait before the next post in a channel (shared by every process). */
  pace: (channel: string) => Promise<number>;
  clock?: Partial<RetryClock>;
  now?: () => number;
  /** What is decided on a report's objects, read when the message is drawn (ObjectViews.decisionsFor). */
  decisionsFor?: (report: DiagnosisReport) => Promise<ReportDecisions>;
}

const INCIDENT_EVENT = 'rancher_doctor_incident';

/** Carried by an incident's message, so that it can be found again when its ts was lost. */
function incidentMetadata(incident: Incident): MessageMetadata {
  return {
    event_type: INCIDENT_EVENT,
    event_payload: { fingerprint: incident.fingerprint, startsAt: incident.startsAt },
  };
}

/**
 * Posts and edits the alert channel's messages. Posts go one at a time, in the order asked, each
 * in the channel's next free second; a post Slack did not take (the Web API client has already
 * waited out its 429s) is tried again with a backoff, a few times, before it is given up and logged.
 */
export class SlackAlertPublisher implements AlertPublisher {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: AlertPublisherOptions) {
    this.sleep = (ms) => (o.clock?.sleep ?? ((t: number) => new Promise((r) => setTimeout(r, t))))(ms);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** One post after another: a later one never overtakes an earlier one. */
  private queued<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private send(msg: SlackMessage, threadTs?: string, metadata?: MessageMetadata): Promise<MessageRef | null> {
    return this.queued(async () => {
      const retrier = new Retrier({
        policy: { retries: 5, baseMs: 1000, maxMs: 30_000 },
        classify: () => ({ retry: true, reason: 'Slack did not take the message' }),
        clock: this.o.clock,
      });
      for (;;) {
        const wait = await this.o.pace(this.o.channel);
        if (wait > 0) await this.sleep(wait);
        const ref = threadTs
          ? await this.o.poster.post(this.o.channel, msg, threadTs, metadata)
          : await this.o.poster.postWithLink(this.o.channel, msg, metadata);
        if (ref) return ref;
        try {
          await retrier.failed(new Error('not posted'));
        } catch {
          return null;
        }
      }
    });
  }

  private async render(incident: Incident, diagnosis: DiagnosisOutcome | null): Promise<SlackMessage> {
    const decisions =
      diagnosis && this.o.decisionsFor ? await this.o.decisionsFor(diagnosis.report) : NO_DECISIONS;
    return renderIncident(incident, diagnosis, this.now(), decisions);
  }

  async post(
    incident: Incident,
    diagnosis: DiagnosisOutcome | null,
    thread?: MessageRef,
  ): Promise<MessageRef | null> {
    return this.send(await this.render(incident, diagnosis), thread?.ts, incidentMetadata(incident));
  }

  /** The incident's own root message, if one was posted (by a process that died before storing it). */
  async find(incident: Incident): Promise<MessageRef | null> {
    const { fingerprint, startsAt } = incidentMetadata(incident).event_payload;
    return this.o.poster.findByMetadata(
      this.o.channel,
      INCIDENT_EVENT,
      (p) => p.fingerprint === fingerprint && p.startsAt === startsAt,
    );
  }

  async update(incident: Incident, diagnosis: DiagnosisOutcome | null): Promise<boolean> {
    if (!incident.message) return false;
    const msg = await this.render(incident, diagnosis);
    // Edits keep their order with the posts around them.
    return this.queued(() => this.o.poster.update(incident.message!.channel, incident.message!.ts, msg));
  }

  async note(incident: Incident, note: IncidentNote): Promise<void> {
    if (!incident.message) return;
    await this.send(renderNote(incident, note), incident.message.ts);
  }

  summary(incidents: Incident[]): Promise<MessageRef | null> {
    return this.send(renderSummary(incidents));
  }

  async reportThread(incident: Incident, d: DiagnosisOutcome): Promise<void> {
    if (!incident.message) return;
    const ref = alertJobRef(d, this.o.channel);
    const report = renderReport(ref, d.report, d.plans);
    for (const reply of report.thread ?? []) await this.send(reply, incident.message.ts);
    if (report.uploads?.length) {
      const uploads = report.uploads;
      await this.queued(() => this.o.poster.upload(incident.message!.channel, incident.message!.ts, uploads));
    }
  }

  async lostContact(info: LostContact): Promise<void> {
    await this.send(renderLostContact(info));
  }

  sample(requestedBy: string | null): Promise<MessageRef | null> {
    return this.send(renderSampleAlert(requestedBy));
  }
}
