import type { DiagnosisOutcome, Incident, MessageRef } from '../../src/alerts/incident.js';
import type { AlertPublisher, IncidentNote } from '../../src/alerts/incidents.js';

/** The publisher's side: what was posted, edited and told in the thread. */
export class RecordingPublisher implements AlertPublisher {
  posts = 0;
  updates: { incident: Incident; jobId: string | null }[] = [];
  notes: IncidentNote[] = [];
  reportThreads: string[] = [];
  async post(): Promise<MessageRef> {
    return { channel: 'C0ALERTS', ts: `1.${++this.posts}` };
  }
  // Every post here is stored, so no message is ever looked for again.
  async find(): Promise<null> {
    return null;
  }
  async update(incident: Incident, d: DiagnosisOutcome | null): Promise<boolean> {
    this.updates.push({ incident, jobId: d?.jobId ?? null });
    return true;
  }
  /** Each note with the incident's message it went under. */
  threads: { ts: string | null; note: IncidentNote }[] = [];
  async note(i: Incident, note: IncidentNote): Promise<void> {
    this.notes.push(note);
    this.threads.push({ ts: i.message?.ts ?? null, note });
  }
  async summary(): Promise<MessageRef> {
    return { channel: 'C0ALERTS', ts: '0.1' };
  }
  async reportThread(_i: Incident, d: DiagnosisOutcome): Promise<void> {
    this.reportThreads.push(d.jobId);
  }
  async lostContact(): Promise<void> {}
  async sample(): Promise<null> {
    return null;
  }
}
