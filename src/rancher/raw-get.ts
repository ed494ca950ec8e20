/**
 * A GET to the local apiserver with the kubeconfig's credentials, answered as a stream. For what
 * client-node's API classes do not serve (/metrics) or serve without what the detector needs (its
 * Watch drops a failed answer's headers and body: Retry-After and the Status of a 410).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A non-2xx answer: its code, headers (Retry-After) and Status body when it had one. */
export class HttpFailure extends Error {
  constructor(
    readonly statusCode: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly kubeStatus: { code?: number; reason?: string; message?: string } | null,
  ) {
    super(
      `HTTP ${statusCode}${kubeStatus?.reason ? ` ${kubeStatus.reason}` : ''}${kubeStatus?.message ? `: ${kubeStatus.message}` : ''}`,
    );
  }
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Resolves with the answer once a 2xx head arrives; rejects with HttpFailure otherwise (after
 * reading its body, bounded), or with the socket's error. `idleMs` ends a silent connection.
 */
export async function rawGet(
  kubeConfig: KubeConfig,
  pathAndQuery: string,
  options: { signal: AbortSignal; accept: string; idleMs: number },
): Promise<IncomingMessage> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(server.replace(/\/$/, '') + pathAndQuery);
  const requestOptions: https.RequestOptions = { method: 'GET', headers: { Accept: options.accept } };
  await kubeConfig.applyToHTTPSOptions(requestOptions);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { ...requestOptions, signal: options.signal }, resolve);
    req.setTimeout(options.idleMs, () =>
      req.destroy(Object.assign(new Error('idle timeout'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.end();
  });
  const code = res.statusCode ?? 0;
  if (code >= 200 && code < 300) return res;
  const body = await readBounded(res).catch(() => '');
  throw new HttpFailure(code, res.headers, parseStatus(body));
}

export function readBounded(res: IncomingMessage, limit = MAX_ERROR_BODY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseStatus(body: string): HttpFailure['kubeStatus'] {
  try {
    const parsed = JSON.parse(body) as { kind?: string; code?: number; reason?: string; message?: string };
    return parsed?.kind === 'Status'
      ? { code: parsed.code, reason: parsed.reason, message: parsed.message }
      : null;
  } catch {
    return null;
  }
}
