import type { IncidentSink } from '../../src/alerts/incidents.js';

export type SinkEvent =
  | { kind: 'fire'; incident: Parameters<IncidentSink['fire']>[0] }
  | { kind: 'resolve'; fingerprint: string; at: string };

/** An IncidentSink that keeps what it is told, and lets a test wait for the nth event. */
export class RecordingSink implements IncidentSink {
  readonly events: SinkEvent[] = [];
  /** Set to make the next calls fail, as an incident store that cannot write would. */
  failWith: Error | null = null;
  private waiters: { count: number; resolve: () => void }[] = [];

  fire(incident: Parameters<IncidentSink['fire']>[0]): Promise<void> {
    return this.record({ kind: 'fire', incident });
  }

  resolve(fingerprint: string, at: string): Promise<void> {
    return this.record({ kind: 'resolve', fingerprint, at });
  }

  /** Resolves once `count` events have been recorded. */
  waitFor(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private async record(event: SinkEvent): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
}
