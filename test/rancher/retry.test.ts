import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { classifyFailure, kubernetesRetryVerdict } from '../../src/rancher/retry.js';

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

describe('kubernetesRetryVerdict', () => {
  it('retries what is transient, with the Retry-After read against the given clock', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(kubernetesRetryVerdict(api(429, { 'retry-after': 'Thu, 01 Jan 2026 00:00:04 GMT' }), now)).toEqual(
      {
        retry: true,
        reason: 'HTTP 429',
        retryAfterMs: 4000,
      },
    );
    expect(kubernetesRetryVerdict(api(503), now)).toEqual({
      retry: true,
      reason: 'HTTP 503',
      retryAfterMs: null,
    });
    expect(kubernetesRetryVerdict(api(403), now)).toEqual({ retry: false });
    expect(kubernetesRetryVerdict(api(409), now)).toEqual({ retry: false });
  });
});
