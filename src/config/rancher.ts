import { z } from 'zod';
import { UsageError } from '../errors.js';

/**
 * How to reach the Rancher local cluster and its downstream clusters. Read once from the
 * environment (plus CLI overrides) and validated, so a bad setting stops the program with a
 * message that names it.
 */
export interface RancherConfig {
  /** Kubeconfig of the local cluster; null means KUBECONFIG / ~/.kube/config, then in-cluster. */
  kubeconfigPath: string | null;
  /** Context in that kubeconfig; null means its current-context. */
  context: string | null;
  /** Rancher server URL (https://rancher.example.com); downstream clusters via /k8s/clusters/<id>. */
  rancherUrl: string | null;
  /** Rancher API token sent as a bearer token to the proxy. */
  rancherToken: string | null;
  /** Directory holding <cluster-id>.yaml (or .yml, .kubeconfig) kubeconfigs, tried before the proxy. */
  downstreamKubeconfigDir: string | null;
  /** Skip TLS verification towards the Rancher proxy (self-signed test installs). */
  rancherInsecure: boolean;
  /** Per-request timeout. */
  requestTimeoutMs: number;
  /** How many times a transient failure is retried. */
  retries: number;
  /** First backoff delay; doubles per attempt, with jitter, capped at retryMaxDelayMs. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export type RancherConfigOverrides = Partial<RancherConfig>;

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? null : v))
  .nullable()
  .default(null);

const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^\d+$/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number, got "${v}"` });
        return z.NEVER;
      }
      return Number(v.trim());
    });

const envSchema = z.object({
  KUBECONFIG: optionalText,
  KUBE_CONTEXT: optionalText,
  RANCHER_URL: optionalText.refine((v) => v === null || /^https?:\/\/[^\s/]+/.test(v), {
    message: 'RANCHER_URL must be an http(s) URL such as https://rancher.example.com',
  }),
  RANCHER_TOKEN: optionalText,
  RANCHER_INSECURE: z
    .string()
    .optional()
    .transform((v) => v === '1' || v?.toLowerCase() === 'true'),
  DOWNSTREAM_KUBECONFIG_DIR: optionalText,
  KUBE_REQUEST_TIMEOUT_MS: positiveInt('KUBE_REQUEST_TIMEOUT_MS', 15_000),
  KUBE_RETRIES: positiveInt('KUBE_RETRIES', 4),
  KUBE_RETRY_BASE_MS: positiveInt('KUBE_RETRY_BASE_MS', 250),
  KUBE_RETRY_MAX_MS: positiveInt('KUBE_RETRY_MAX_MS', 8_000),
});

export function loadRancherConfig(
  env: Record<string, string | undefined>,
  overrides: RancherConfigOverrides = {},
): RancherConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? 'environment';
    throw new UsageError(`bad setting ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  // KUBECONFIG may list several files; client-node's loadFromDefault handles that, so keep it
  // null here and let the access module fall back to the default loader.
  const config: RancherConfig = {
    kubeconfigPath: null,
    context: e.KUBE_CONTEXT,
    rancherUrl: e.RANCHER_URL?.replace(/\/+$/, '') ?? null,
    rancherToken: e.RANCHER_TOKEN,
    downstreamKubeconfigDir: e.DOWNSTREAM_KUBECONFIG_DIR,
    rancherInsecure: e.RANCHER_INSECURE,
    requestTimeoutMs: e.KUBE_REQUEST_TIMEOUT_MS,
    retries: e.KUBE_RETRIES,
    retryBaseDelayMs: e.KUBE_RETRY_BASE_MS,
    retryMaxDelayMs: e.KUBE_RETRY_MAX_MS,
  };
  for (const [key, value] of Object.entries(overrides) as [keyof RancherConfig, unknown][]) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (config.rancherUrl && !config.rancherToken) {
    throw new UsageError('RANCHER_URL is set but RANCHER_TOKEN is not: the proxy needs a token');
  }
  if (config.requestTimeoutMs < 1) throw new UsageError('KUBE_REQUEST_TIMEOUT_MS must be >= 1');
  return config;
}
