import type { Logger } from 'pino';

/**
 * Work that follows an ack (posting a diagnosis's channel message) runs once no Slack request is
 * waiting for its answer, or after `maxDelayMs` at the latest: in a burst of commands every ack
 * goes out first and the follow-up work after, instead of each ack queueing behind the others'
 * Web API calls on the one event loop. Stopping runs what is left and waits for it, boundedly.
 */
export class AfterAckWork {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly tasks = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly log: Logger,
    private readonly maxDelayMs = 500,
  ) {}

  /** A Slack request has arrived; call the function returned once it has been answered. */
  requestStarted(): () => void {
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      // Let requests already read from their sockets start before the follow-up work does.
      if (this.inFlight === 0) setImmediate(() => this.wakeIfIdle());
    };
  }

  /** Runs `task` after the acks in flight; its failure is logged with `what`. */
  schedule(what: string, task: () => Promise<unknown>): void {
    const run = this.idle()
      .then(task)
      .then(
        () => undefined,
        (err: unknown) => this.log.error({ err: String(err) }, `${what} failed`),
      )
      .finally(() => this.tasks.delete(run));
    this.tasks.add(run);
  }

  /** Starts whatever still waits and waits up to `timeoutMs` for all of it. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    const all = Promise.allSettled([...this.tasks]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== go);
        go();
      }, this.maxDelayMs);
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(go);
      setImmediate(() => this.wakeIfIdle());
    });
  }

  private wakeIfIdle(): void {
    if (this.inFlight === 0 || this.stopping) this.wake();
  }

  private wake(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
