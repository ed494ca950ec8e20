import { describe, expect, it } from '@jest/globals';
import {
  RetriesExhausted,
  Retrier,
  abortableSleep,
  backoffDelay,
  parseRetryAfter,
  withRetry,
  type Classify,
  type RetryInfo,
  type RetryPolicy,
} from '../src/retry.js';
import { FakeClock, instantClock, settle } from './support/fake-clock.js';

const transient: Classify = (err) => ({ retry: true, reason: String((err as Error).message) });
const policy: RetryPolicy = { retries: 3, baseMs: 100, maxMs: 1000 };

/** An attempt that fails `failures` times, then returns 'ok'. */
function flaky(failures: number, error: () => unknown = () => new Error('reset')) {
  let calls = 0;
  const fn = async () => {
    calls++;
    if (calls <= failures) throw error();
    return 'ok';
  };
  return { fn, calls: () => calls };
}

describe('backoffDelay: full jitter', () => {
  const backoff = { baseMs: 100, maxMs: 1000 };
  it('waits anywhere from 0 to the ceiling, which doubles per failure up to the cap', () => {
    expect(backoffDelay(0, backoff, () => 0)).toBe(0);
    expect(backoffDelay(0, backoff, () => 0.999999)).toBe(100);
    expect(backoffDelay(1, backoff, () => 0.999999)).toBe(200);
    expect(backoffDelay(3, backoff, () => 0.999999)).toBe(800);
    expect(backoffDelay(4, backoff, () => 0.999999)).toBe(1000);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(400);
  });
  it('stays within [0, ceiling] for any draw, and spreads over the whole range', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
    for (let failure = 0; failure < 8; failure++) {
      const ceiling = Math.min(1000, 100 * 2 ** failure);
      const delays = Array.from({ length: 500 }, () => backoffDelay(failure, backoff, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      // Full jitter: the low half is reached as well as the high one (equal jitter never goes under half).
      expect(Math.min(...delays)).toBeLessThan(ceiling / 4);
      expect(Math.max(...delays)).toBeGreaterThan((ceiling * 3) / 4);
    }
  });
  it('a loop that never gives up stays at the cap, however many failures', () => {
    expect(backoffDelay(5000, backoff, () => 0.999999)).toBe(1000);
    expect(backoffDelay(5000, { baseMs: 0, maxMs: 1000 }, () => 0.5)).toBe(0);
  });
});

describe('withRetry', () => {
  it('retries until success, waiting the backoff between attempts', async () => {
    const clock = instantClock(() => 0.999999);
    const { fn, calls } = flaky(2);
    await expect(withRetry(fn, { policy, classify: transient, clock })).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('gives up after `retries` retries, with the last failure as the cause', async () => {
    const clock = instantClock();
    let n = 0;
    const { fn, calls } = flaky(Infinity, () => new Error(`reset ${++n}`));
    const err = await withRetry(fn, { policy, classify: transient, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhausted);
    expect((err as RetriesExhausted).attempts).toBe(4);
    expect((err as RetriesExhausted).message).toBe('reset 4 after 4 attempts');
    expect(((err as RetriesExhausted).cause as Error).message).toBe('reset 4');
    expect(calls()).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('no retries: one attempt, no wait', async () => {
    const clock = instantClock();
    const { fn, calls } = flaky(Infinity);
    const err = await withRetry(fn, { policy: { ...policy, retries: 0 }, classify: transient, clock }).catch(
      (e: unknown) => e,
    );
    expect((err as RetriesExhausted).message).toBe('reset after 1 attempt');
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('a failure not worth retrying is thrown as it is, at once', async () => {
    const clock = instantClock();
    const refused = new Error('403');
    const { fn, calls } = flaky(Infinity, () => refused);
    await expect(withRetry(fn, { policy, classify: () => ({ retry: false }), clock })).rejects.toBe(refused);
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("honours the server's Retry-After over the backoff, up to the cap", async () => {
    const asked = [700, 60_000, 0];
    const clock = instantClock(() => 0.999999);
    const { fn } = flaky(3);
    const seen: RetryInfo[] = [];
    await withRetry(fn, {
      policy,
      classify: () => ({ retry: true, reason: 'HTTP 429', retryAfterMs: asked.shift() }),
      onRetry: (info) => seen.push(info),
      clock,
    });
    expect(clock.sleeps).toEqual([700, 1000, 0]);
    expect(seen.map((s) => [s.attempt, s.delayMs, s.retryAfterMs])).toEqual([
      [1, 700, 700],
      [2, 1000, 60_000],
      [3, 0, 0],
    ]);
  });

  it('has a cap of its own for Retry-After when given one', async () => {
    const clock = instantClock();
    const { fn } = flaky(1);
    await withRetry(fn, {
      policy: { ...policy, maxRetryAfterMs: 5000 },
      classify: () => ({ retry: true, reason: 'HTTP 503', retryAfterMs: 60_000 }),
      clock,
    });
    expect(clock.sleeps).toEqual([5000]);
  });

  it('reads a Retry-After date against its own clock', async () => {
    const clock = instantClock();
    await clock.advance(Date.parse('2026-01-01T00:00:00Z'));
    const { fn } = flaky(1);
    await withRetry(fn, {
      policy: { ...policy, maxMs: 10_000 },
      classify: (_err, now) => ({
        retry: true,
        reason: 'HTTP 429',
        retryAfterMs: parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now),
      }),
      clock,
    });
    expect(clock.sleeps).toEqual([3000]);
  });

  it('an abort ends the wait at once, with the signal’s reason', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const { fn, calls } = flaky(Infinity);
    const run = withRetry(fn, {
      policy: { ...policy, baseMs: 3_600_000, maxMs: 3_600_000 },
      classify: transient,
      signal: controller.signal,
      clock,
    }).catch((e: unknown) => e);
    await settle();
    expect(clock.waiting).toBe(1);
    controller.abort(new Error('stopping'));
    expect(((await run) as Error).message).toBe('stopping');
    expect(clock.now()).toBe(0);
    expect(clock.waiting).toBe(0);
    expect(calls()).toBe(1);
  });

  it('a failure after the abort is not retried and keeps its own error', async () => {
    const clock = instantClock();
    const controller = new AbortController();
    const cut = new Error('cut');
    let classified = 0;
    await expect(
      withRetry(
        async () => {
          controller.abort();
          throw cut;
        },
        { policy, classify: (e) => (classified++, transient(e, 0)), signal: controller.signal, clock },
      ),
    ).rejects.toBe(cut);
    expect(classified).toBe(0);
  });
});

describe('Retrier: a loop that runs for ever', () => {
  it('resets after a success: the next failure waits the first wait again, with the whole bound', async () => {
    const clock = instantClock(() => 0.999999);
    const retrier = new Retrier({ policy: { ...policy, retries: 2 }, classify: transient, clock });
    const err = new Error('watch dropped');
    await retrier.failed(err);
    await retrier.failed(err);
    expect(retrier.failures).toBe(2);
    retrier.succeeded();
    expect(retrier.failures).toBe(0);
    await retrier.failed(err);
    await retrier.failed(err);
    await expect(retrier.failed(err)).rejects.toBeInstanceOf(RetriesExhausted);
    expect(clock.sleeps).toEqual([100, 200, 100, 200]);
  });

  it('with unbounded retries keeps going at the cap', async () => {
    const clock = instantClock(() => 0.999999);
    const retrier = new Retrier({ policy: { ...policy, retries: Infinity }, classify: transient, clock });
    for (let i = 0; i < 100; i++) await retrier.failed(new Error('closed'));
    expect(clock.sleeps.slice(0, 5)).toEqual([100, 200, 400, 800, 1000]);
    expect(new Set(clock.sleeps.slice(4))).toEqual(new Set([1000]));
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates; null for anything else', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', Date.parse('2026-01-02T00:00:00Z'))).toBe(0);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('abortableSleep', () => {
  it('an abort ends an hour-long sleep at once', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(3_600_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });
  it('an already aborted signal does not sleep at all', async () => {
    await expect(abortableSleep(3_600_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
