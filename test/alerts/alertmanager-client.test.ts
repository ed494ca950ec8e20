import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlertmanagerClient } from '../../src/io/alertmanager-client.js';

interface Seen {
  url: string;
  authorization: string | undefined;
  body: unknown;
}

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** An Alertmanager that answers every silence with an id and keeps what it was sent. */
async function recordingAlertmanager(): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"silenceID":"s-1"}');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server!.address() as AddressInfo).port, seen };
}

describe('the Alertmanager client', () => {
  it('sends a silence from now to endsAt, under the URL path given, with basic auth from the URL', async () => {
    const { port, seen } = await recordingAlertmanager();
    const client = createAlertmanagerClient({
      url: `http://doctor:p%40ss@127.0.0.1:${port}/alertmanager`,
      timeoutMs: 5000,
      now: () => new Date('2024-05-07T08:00:00Z'),
    });
    const id = await client.createSilence({
      matchers: [{ name: 'node_id', value: 'machine-.*', isRegex: true }],
      endsAt: '2024-05-07T09:00:00Z',
      createdBy: 'U0APPROVER',
      comment: 'snoozed 1 h',
    });
    expect(id).toBe('s-1');
    expect(seen).toEqual([
      {
        url: '/alertmanager/api/v2/silences',
        authorization: `Basic ${Buffer.from('doctor:p@ss').toString('base64')}`,
        body: {
          matchers: [{ name: 'node_id', value: 'machine-.*', isRegex: true, isEqual: true }],
          startsAt: '2024-05-07T08:00:00.000Z',
          endsAt: '2024-05-07T09:00:00.000Z',
          createdBy: 'U0APPROVER',
          comment: 'snoozed 1 h',
        },
      },
    ]);
  });

  it('says when Alertmanager does not answer, without the credentials of the URL', async () => {
    const { port } = await recordingAlertmanager();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
    const client = createAlertmanagerClient({
      url: `http://doctor:secret@127.0.0.1:${port}`,
      timeoutMs: 5000,
    });
    const failure = client.createSilence({
      matchers: [],
      endsAt: new Date().toISOString(),
      createdBy: 'x',
      comment: 'y',
    });
    await expect(failure).rejects.toThrow(`Alertmanager at http://127.0.0.1:${port} did not answer`);
    await expect(failure).rejects.not.toThrow(/secret/);
  });
});
