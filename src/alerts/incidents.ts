/**
 * Where every source of alerts (the watch detector, the apiserver's /metrics, Alertmanager) hands
 * what it found; the incidents and their channel messages live behind it.
 */
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
