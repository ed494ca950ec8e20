import { AccessError, TransientError } from '../errors.js';
import { DownstreamUnreachableConfig } from '../rancher/kubeconfig.js';
import type { AccessProblem } from './types.js';

/** Turns a failed optional read into a problem entry that says what to grant or check. */
export function problemFrom(target: string, error: unknown): AccessProblem {
  if (error instanceof AccessError) {
    return { target, status: error.status, message: error.message, hint: error.hint };
  }
  if (error instanceof DownstreamUnreachableConfig) {
    return {
      target,
      status: null,
      message: error.message,
      hint: 'set RANCHER_URL and RANCHER_TOKEN, or DOWNSTREAM_KUBECONFIG_DIR with <cluster-id>.yaml',
    };
  }
  if (error instanceof TransientError) {
    return {
      target,
      status: null,
      message: error.message,
      hint: 'the cluster did not answer in time after retries: check that it is up and reachable from here, then run the diagnosis again',
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { target, status: null, message, hint: 'unexpected error: see the message' };
}
