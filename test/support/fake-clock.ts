import type { RetryClock } from '../../src/retry.js';

/**
 * A clock for retry loops: time moves only when the test says so, every sleep is recorded, and a
 * sleep ends at once (rejecting with the reason) when its signal aborts.
 */
export class FakeClock implements RetryClock {
  private time = 0;
  readonly sleeps: number[] = [];
  private timers: { at: number; wake: () => void }[] = [];

  constructor(private readonly randoms: () => number = () => 0.5) {}

  now = (): number => this.time;

  random = (): number => this.randoms();

  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = {
        at: this.time + ms,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  };

  /** Sleeps not yet over. */
  get waiting(): number {
    return this.timers.length;
  }

  /** Moves time on, waking the sleeps that end by then, and lets what they started run. */
  async advance(ms: number): Promise<void> {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.wake();
    await settle();
  }
}

/** Lets pending promise callbacks run (a few rounds of microtasks and one macrotask). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** A fake clock whose sleeps end as soon as they start, moving its time on by their length. */
export function instantClock(randoms?: () => number): FakeClock {
  const clock = new FakeClock(randoms);
  clock.sleep = (ms, signal) => {
    clock.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return clock.advance(ms);
  };
  return clock;
}
