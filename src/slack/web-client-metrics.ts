import { webApi } from '@slack/bolt';
import type { Metrics } from '../server/metrics.js';

interface Internals {
  makeRequest(url: string, ...rest: unknown[]): Promise<Response>;
  buildResult(response: Response): Promise<{ ok?: boolean }>;
}

/**
 * Counts each Web API call by method and outcome (ok; error: Slack said `ok: false` or no answer
 * came), and each 429 apart, as `rate_limited`, when it is answered (the client waits it out and
 * retries). The client's method functions are bound to `apiCall` when it is built, so the count
 * sits on the two steps `apiCall` looks up on each call; test/e2e/slack-e2e.test.ts checks it
 * still sees every method.
 */
export function countSlackCalls(
  client: webApi.WebClient,
  metrics: Pick<Metrics, 'slackApiCalls'>,
): webApi.WebClient {
  const inner = client as unknown as Internals;
  const makeRequest = inner.makeRequest.bind(client);
  const buildResult = inner.buildResult.bind(client);
  const count = (url: string, outcome: string) =>
    metrics.slackApiCalls.inc({ method: methodOf(url), outcome });
  inner.makeRequest = async (url, ...rest) => {
    try {
      return await makeRequest(url, ...rest);
    } catch (err) {
      count(url, 'error');
      throw err;
    }
  };
  inner.buildResult = async (response) => {
    const result = await buildResult(response);
    count(response.url, result.ok ? 'ok' : 'error');
    return result;
  };
  client.on(webApi.WebClientEvent.RATE_LIMITED, (_seconds: number, info: { url?: string }) =>
    count(info?.url ?? '', 'rate_limited'),
  );
  return client;
}

function methodOf(url: string): string {
  return url.split('?')[0]!.split('/').pop() || 'unknown';
}
