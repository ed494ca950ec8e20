/**
 * The fields of every log line about a diagnosis job: which job, who asked where, and for which
 * cluster. Job data holds no secret (job-data.ts), and these are picked, not spread, so that a
 * field added to it later does not reach the logs unseen.
 */
export function jobLogFields(
  jobId: string | undefined,
  data: unknown,
): { job: string | undefined; channel?: string; user?: string; cluster?: string } {
  const d = (data ?? {}) as { channelId?: unknown; requestedBy?: unknown; clusterId?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    job: jobId,
    channel: text(d.channelId),
    user: text(d.requestedBy),
    cluster: text(d.clusterId) ?? (d.clusterId === null ? '*' : undefined),
  };
}
