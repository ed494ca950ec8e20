import type { Queue } from 'bullmq';

/** How many diagnoses wait for a worker, and for how long the oldest has (now: an injected clock). */
export async function queueDepth(
  queue: Queue,
  now: () => number = Date.now,
): Promise<{ waiting: number; oldestWaitingSeconds: number }> {
  const waiting = await queue.getWaitingCount();
  // Waiting jobs are listed newest first; `asc` gives the oldest.
  const [oldest] = waiting ? await queue.getJobs(['waiting'], 0, 0, true) : [];
  const oldestWaitingSeconds = oldest ? Math.max(0, (now() - oldest.timestamp) / 1000) : 0;
  return { waiting, oldestWaitingSeconds };
}
