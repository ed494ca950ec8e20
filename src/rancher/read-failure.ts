import { AccessError, TransientError } from '../errors.js';
import type { ReadFailure } from '../diagnosis/ports.js';
import { DownstreamUnreachableConfig } from './kubeconfig.js';
import { MalformedObjectError } from './schemas.js';

/** What a failed read from a cluster means for the person reading the report: what to grant or check. */
export function explainReadFailure(error: unknown): ReadFailure {
  if (error instanceof AccessError) {
    return { status: error.status, message: error.message, hint: error.hint };
  }
  if (error instanceof DownstreamUnreachableConfig) {
    return {
      status: null,
      message: error.message,
      hint: "to go through Rancher, set RANCHER_URL (https://<your Rancher>) and RANCHER_TOKEN (an API key from Rancher: Account & API Keys); or download the cluster's kubeconfig from Rancher and put it as <cluster-id>.yaml in a directory named by DOWNSTREAM_KUBECONFIG_DIR",
    };
  }
  if (error instanceof TransientError) {
    return {
      status: null,
      message: error.message,
      hint: 'the cluster did not answer in time after retries: check that it is up and reachable from here, then run the diagnosis again',
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof MalformedObjectError) {
    return {
      status: null,
      message,
      hint: 'the answer did not have the shape Rancher gives it: check that the cluster runs a Rancher 2.x with its CRDs, and look at the object with kubectl get -o yaml',
    };
  }
  return {
    status: null,
    message,
    hint: 'neither refused nor timed out: check the address and TLS certificate of that cluster in its kubeconfig (or RANCHER_URL), then run the diagnosis again',
  };
}
