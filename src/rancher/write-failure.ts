import { ApiException } from '@kubernetes/client-node';
import { WriteRefusedError } from '../errors.js';

/**
 * The Status body of a refused write, found in the error client-node threw (or one wrapping it),
 * so that a conflict can be told from a rejection and the apiserver's own words shown. Null when
 * the error is no refusal with a status code (a network failure, a timeout).
 */
export function writeRefusal(error: unknown): WriteRefusedError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof ApiException) return fromApiException(current as ApiException<unknown>);
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function fromApiException(error: ApiException<unknown>): WriteRefusedError {
  const body = parseBody(error.body);
  const message = typeof body?.message === 'string' && body.message ? body.message : `HTTP ${error.code}`;
  const reason = typeof body?.reason === 'string' ? body.reason : '';
  return new WriteRefusedError(message, error.code, reason);
}

function parseBody(body: unknown): { message?: unknown; reason?: unknown } | null {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { message?: unknown; reason?: unknown };
    } catch {
      return null;
    }
  }
  return body && typeof body === 'object' ? (body as { message?: unknown; reason?: unknown }) : null;
}
