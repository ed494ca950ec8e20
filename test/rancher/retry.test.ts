import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import {
  RetriesExhausted,
  backoffDelay,
  classifyFailure,
  parseRetryAfter,
  withRetry,
} from '../../src/rancher/retry.js';

const api = (code: number, headers: Record<string, string> = {}) =>
  new ApiException(code, 'x', '{}', headers);

describe('classifyFailure', () => {
  it('401, 403 and 404 are access failures, not retried', () => {
    for (const code of [401, 403, 404]) expect(classifyFailure(api(code)).kind).toBe('access');
  });
  it('5xx and 429 are transient; 429 carries Retry-After', () => {
    expect(classifyFailure(api(503))).toMatchObject({ kind: 'transient', status: 503 });
    expect(classifyFailure(api(429, { 'retry-after': '2' }))).toMatchObject({
      kind: 'transient',
      retryAfterMs: 2000,
    });
  });
  it('resets, refusals and timeouts are transient; 400 and 409 are not', () => {
    expect(classifyFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind).toBe(
      'transient',
    );
    expect(classifyFailure(new Error('request to http://x failed, reason: connect ECONNREFUSED')).kind).toBe(
      'transient',
    );
    expect(classifyFailure(new DOMException('timed out', 'TimeoutError')).kind).toBe('transient');
    expect(classifyFailure(api(400)).kind).toBe('fatal');
    expect(classifyFailure(api(409)).kind).toBe('fatal');
  });
});

describe('backoff', () => {
  const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  it('grows exponentially with jitter and is capped', () => {
    expect(backoffDelay(0, policy, null, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, null, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, null, () => 1)).toBe(800);
    expect(backoffDelay(10, policy, null, () => 1)).toBe(1000);
  });
  it('honours Retry-After within the cap', () => {
    expect(backoffDelay(0, policy, 700, () => 0)).toBe(700);
    expect(backoffDelay(0, policy, 60_000, () => 0)).toBe(1000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('withRetry', () => {
  const policy = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };
  it('retries transient failures until success', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls < 3) throw api(503);
      return 'ok';
    }, policy);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });
  it('does not retry access failures', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw api(403);
      }, policy),
    ).rejects.toMatchObject({ code: 403 });
    expect(calls).toBe(1);
  });
  it('gives up after the bound with the last failure', async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      calls++;
      throw api(502);
    }, policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhausted);
    expect((err as RetriesExhausted).attempts).toBe(4);
    expect(calls).toBe(4);
  });
});
