import { afterEach, describe, expect, it } from '@jest/globals';
import { AccessError, TransientError } from '../../src/errors.js';
import type { WatchEvent } from '../../src/rancher/access.js';
import { startGround, type Ground } from '../diagnosis/support.js';

const CLUSTER = 'c-dql6k';
const WATCH_PATH = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes`;

let ground: Ground | null = null;
afterEach(async () => {
  await ground?.close();
  ground = null;
});

describe('the churn watch reconnects through the retry helper', () => {
  it('a watch refused twice with 503 is reopened and then sees the writes', async () => {
    const g = (ground = await startGround({ loopIntervalMs: 20 }));
    const fault = g.standin.faults.inject({ method: 'GET', path: WATCH_PATH, status: 503, times: 2 });
    const events: WatchEvent[] = [];
    await g.access.watchNodeObjects({ namespace: CLUSTER, seconds: 1 }, (e) => events.push(e));
    expect(fault.hits).toBe(2);
    expect(events.some((e) => e.type === 'MODIFIED')).toBe(true);
  });

  it('gives up once the retries run out, saying how many attempts it made', async () => {
    const g = (ground = await startGround());
    const fault = g.standin.faults.inject({ method: 'GET', path: WATCH_PATH, status: 503, times: Infinity });
    const error = await g.access
      .watchNodeObjects({ namespace: CLUSTER, seconds: 30 }, () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'could not watch nodes.management.cattle.io in namespace c-dql6k (cluster local): HTTP 503 after 4 attempts',
    );
    expect(fault.hits).toBe(4);
  });

  it('a refusal is not retried', async () => {
    const g = (ground = await startGround());
    const fault = g.standin.faults.inject({ method: 'GET', path: WATCH_PATH, status: 403, times: Infinity });
    const error = await g.access
      .watchNodeObjects({ namespace: CLUSTER, seconds: 30 }, () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect(fault.hits).toBe(1);
  });

  it('an abort during the wait before a reconnect ends the watch at once', async () => {
    // An hour's backoff: the watch can only end this test by leaving its wait when aborted.
    const g = (ground = await startGround({}, { retryBaseDelayMs: 3_600_000, retryMaxDelayMs: 3_600_000 }));
    const fault = g.standin.faults.inject({ method: 'GET', path: WATCH_PATH, status: 503, times: Infinity });
    const abort = new AbortController();
    const watching = g.access.watchNodeObjects(
      { namespace: CLUSTER, seconds: 7200 },
      () => undefined,
      abort.signal,
    );
    while (fault.hits === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await expect(watching).resolves.toBeUndefined();
  });
});
