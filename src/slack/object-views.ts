import type { Logger } from 'pino';
import type { DiagnosisReport } from '../diagnosis/types.js';
import type { DecisionStore } from '../queue/decision-store.js';
import type { JobMessageStore } from '../queue/message-store.js';
import type { RemediationEvent, RemediationReporter } from '../queue/remediation-reporter.js';
import type { ReportStore, StoredReport } from '../queue/report-store.js';
import type { ObjectRef, ObjectState } from '../remediation/approval/decision.js';
import type { SlackPoster } from './poster.js';
import type { ButtonSettings, ReportDecisions } from './render/decision-view.js';
import { renderReport } from './render/report.js';
import { renderRemediationStep } from './render/remediation-step.js';
import type { RemediationNote } from '../alerts/incidents.js';

export interface ObjectViewsDeps {
  reports: ReportStore;
  decisions: DecisionStore;
  poster: SlackPoster;
  settings: ButtonSettings;
  log: Logger;
  now?: () => Date;
  /** Other messages showing the object that are not reports of their own (the alerts'). */
  alsoShownIn?: (object: ObjectRef) => Promise<void>;
}

/**
 * Every message showing an object, rebuilt from what is stored: the report as the worker kept it
 * and each of its objects' decisions. A click's copy of the message is never the source.
 */
export class ObjectViews {
  constructor(private readonly deps: ObjectViewsDeps) {}

  /** The decisions a report's buttons depend on, read now. */
  async decisionsFor(report: DiagnosisReport): Promise<ReportDecisions> {
    const findings = report.findings.filter((f) => f.clusterId && f.nodeId);
    const states = await this.deps.decisions.getMany(
      findings.map((f) => ({ clusterId: f.clusterId!, nodeId: f.nodeId! })),
    );
    const byFinding: Record<string, ObjectState | null> = {};
    findings.forEach((f, i) => (byFinding[f.id] = states[i] ?? null));
    return {
      settings: this.deps.settings,
      byFinding,
      reportMadeAt: report.finishedAt,
      now: (this.deps.now?.() ?? new Date()).toISOString(),
    };
  }

  async render(stored: StoredReport) {
    const decisions = await this.decisionsFor(stored.report);
    return renderReport({ jobId: stored.jobId, data: stored.data }, stored.report, stored.plans, decisions);
  }

  /**
   * Updates each message that shows the object; one whose report is no longer kept is left as it
   * is. False when Slack refused an update.
   */
  async refresh(object: ObjectRef): Promise<boolean> {
    const refs = await this.deps.reports.messagesOf(object);
    const updated = await Promise.all(
      refs.map(async (ref) => {
        const stored = await this.deps.reports.get(ref.jobId);
        if (!stored) return true;
        const msg = await this.render(stored);
        // The uploads went out with the first report; an update does not repeat them.
        return this.deps.poster.update(ref.channel, ref.ts, { text: msg.text, blocks: msg.blocks });
      }),
    );
    const others = await (this.deps.alsoShownIn?.(object) ?? Promise.resolve()).then(
      () => true,
      (err: unknown) => {
        this.deps.log.warn({ object, err: String(err) }, 'could not show the decision in the alerts');
        return false;
      },
    );
    return updated.every(Boolean) && others;
  }
}

/**
 * The remediation worker's reports in Slack: every message showing the object rebuilt, and the
 * result and the measurement after the fix answered in the thread of the report it was approved in
 * (a report an alert asked for has no message of its own) and in the alerts' threads (`alsoTell`).
 */
export class SlackRemediationReporter implements RemediationReporter {
  constructor(
    private readonly views: ObjectViews,
    private readonly messages: JobMessageStore,
    private readonly reports: ReportStore,
    private readonly poster: SlackPoster,
    private readonly log: Logger,
    private readonly alsoTell?: (object: ObjectRef, note: RemediationNote) => Promise<void>,
  ) {}

  async changed(object: ObjectRef, state: ObjectState, event: RemediationEvent): Promise<void> {
    try {
      await this.views.refresh(object);
      const d = state.current;
      if (!d || event === 'running') return;
      const stored = await this.reports.get(d.diagnosisJobId);
      const finding = stored?.report.findings.find(
        (f) => f.clusterId === object.clusterId && f.nodeId === object.nodeId,
      );
      const note: RemediationNote = {
        kind: 'remediation',
        step: event,
        decision: d,
        target: `${object.nodeId} in ${finding?.clusterName ?? object.clusterId}`,
        drainPlan: finding?.drainPlan ?? null,
        at: new Date().toISOString(),
      };
      await this.alsoTell?.(object, note).catch((err: unknown) =>
        this.log.warn({ object, event, err: String(err) }, 'could not show a remediation step in the alerts'),
      );
      const where = await this.messages.get(d.diagnosisJobId);
      if (!where) return;
      const msg = renderRemediationStep(event, d, note.target, note.drainPlan, note.at);
      await this.poster.post(where.channel, msg, where.ts);
    } catch (err) {
      this.log.warn({ object, event, err: String(err) }, 'could not show a remediation step in Slack');
    }
  }
}
