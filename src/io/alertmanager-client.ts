import { z } from 'zod';

/** One matcher of a silence, as Alertmanager's API v2 takes it. */
export interface SilenceMatcher {
  name: string;
  value: string;
  /** Default false: the value is matched as it is. */
  isRegex?: boolean;
  /** Default true; false matches alerts whose label differs. */
  isEqual?: boolean;
}

export interface SilenceRequest {
  matchers: SilenceMatcher[];
  /** ISO time; the silence starts now. */
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface AlertmanagerClientOptions {
  /** ALERTMANAGER_URL, e.g. http://rancher-monitoring-alertmanager.cattle-monitoring-system:9093 */
  url: string;
  /** How long one request may take (ALERTMANAGER_TIMEOUT). */
  timeoutMs: number;
  now?: () => Date;
  fetch?: typeof fetch;
}

export class AlertmanagerError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'AlertmanagerError';
  }
}

const createdSchema = z.object({ silenceID: z.string().min(1) });

const silenceSchema = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['active', 'pending', 'expired']) }),
  matchers: z.array(
    z.object({
      name: z.string(),
      value: z.string(),
      isRegex: z.boolean(),
      isEqual: z.boolean().default(true),
    }),
  ),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});

export type Silence = z.infer<typeof silenceSchema>;

/** Alertmanager's API v2, for what a snooze needs: silences. */
export interface AlertmanagerClient {
  /** Creates a silence from now until `endsAt`; its id. */
  createSilence(request: SilenceRequest): Promise<string>;
  getSilence(id: string): Promise<Silence>;
}

export function createAlertmanagerClient(options: AlertmanagerClientOptions): AlertmanagerClient {
  const { base, authorization } = splitCredentials(options.url);
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());

  const call = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (authorization) headers.authorization = authorization;
    let res: Response;
    try {
      res = await doFetch(new URL(path, base), {
        ...init,
        headers,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      throw new AlertmanagerError(
        `Alertmanager at ${base.origin} did not answer: ${(err as Error).message}`,
        null,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      throw new AlertmanagerError(
        `Alertmanager answered ${res.status}: ${text.trim().slice(0, 200)}`,
        res.status,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AlertmanagerError(`Alertmanager answered ${res.status} with no JSON`, res.status);
    }
  };

  return {
    async createSilence(request) {
      const body = {
        matchers: request.matchers.map((m) => ({
          name: m.name,
          value: m.value,
          isRegex: m.isRegex ?? false,
          isEqual: m.isEqual ?? true,
        })),
        startsAt: now().toISOString(),
        endsAt: new Date(request.endsAt).toISOString(),
        createdBy: request.createdBy,
        comment: request.comment,
      };
      const created = createdSchema.safeParse(
        await call('api/v2/silences', { method: 'POST', body: JSON.stringify(body) }),
      );
      if (!created.success) throw new AlertmanagerError('Alertmanager gave no silence id', 200);
      return created.data.silenceID;
    },
    async getSilence(id) {
      const silence = silenceSchema.safeParse(await call(`api/v2/silence/${encodeURIComponent(id)}`));
      if (!silence.success) throw new AlertmanagerError(`silence ${id}: unexpected answer`, 200);
      return silence.data;
    },
  };
}

/**
 * fetch refuses URLs with credentials in them: user:password@ in ALERTMANAGER_URL (an
 * Alertmanager behind basic auth) becomes the Authorization header, and is kept out of messages.
 */
function splitCredentials(url: string): { base: URL; authorization: string | null } {
  const base = new URL(url.endsWith('/') ? url : `${url}/`);
  if (!base.username && !base.password) return { base, authorization: null };
  const pair = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
  base.username = '';
  base.password = '';
  return { base, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}
