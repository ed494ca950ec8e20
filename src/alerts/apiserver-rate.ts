/**
 * The node object write rate and the memory of the local apiserver, from its /metrics read every
 * interval: counters turned into a rate over a sliding window, as Prometheus' rate() does, but
 * counting only samples of one process. A counter that goes down, or a new process start time (a
 * restart, or another apiserver behind the same address), starts the window afresh: the rate is
 * unknown for an interval rather than negative or huge.
 */

/** The local apiserver's own counters, from its /metrics. */
export interface ApiserverMetrics {
  /** apiserver_request_total of PUT and PATCH on nodes.management.cattle.io, summed. */
  nodeWrites: number | null;
  residentMemoryBytes: number | null;
  /** process_start_time_seconds: another value is another process, whose counters start afresh. */
  processStartTime: number | null;
}

export interface ApiserverSample extends ApiserverMetrics {
  at: number;
}

export interface ApiserverRateNow {
  /** Writes a minute over the window; null with fewer than two samples of one process. */
  perMinute: number | null;
  /** Writes counted over the window. */
  writes: number;
  /** Resident memory at the last sample, and its growth over the window (same process). */
  memoryBytes: number | null;
  memoryGrowthBytes: number | null;
  spanMs: number;
}

export class ApiserverRate {
  private samples: ApiserverSample[] = [];

  constructor(private readonly windowMs: number) {}

  add(sample: ApiserverSample): void {
    if (sample.nodeWrites === null) return;
    const last = this.samples.at(-1);
    if (
      last &&
      (last.nodeWrites! > sample.nodeWrites ||
        last.processStartTime !== sample.processStartTime ||
        sample.at <= last.at)
    )
      this.samples = [];
    this.samples.push(sample);
    // Keeps the newest sample at or before the window's start, so that the rate spans the window.
    while (this.samples.length > 2 && this.samples[1]!.at <= sample.at - this.windowMs) this.samples.shift();
  }

  now(): ApiserverRateNow {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    const memoryBytes = last?.residentMemoryBytes ?? null;
    if (!first || !last || first === last)
      return { perMinute: null, writes: 0, memoryBytes, memoryGrowthBytes: null, spanMs: 0 };
    const spanMs = last.at - first.at;
    const writes = last.nodeWrites! - first.nodeWrites!;
    const memoryGrowthBytes =
      memoryBytes !== null && first.residentMemoryBytes !== null
        ? memoryBytes - first.residentMemoryBytes
        : null;
    return { perMinute: (writes * 60_000) / spanMs, writes, memoryBytes, memoryGrowthBytes, spanMs };
  }
}
