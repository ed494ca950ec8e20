/** kube-apiserver's Status error bodies, with its wording. Pure. */
import { qualifiedName, type ResourceInfo } from './resources.js';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** An error a handler throws; the server answers it as a Status body. */
export class ApiError extends Error {
  constructor(
    readonly status: StatusBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message);
  }
}

function failure(code: number, reason: string, message: string, details?: StatusBody['details']): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

function detailsOf(info: ResourceInfo, name?: string): StatusBody['details'] {
  return {
    ...(name !== undefined ? { name } : {}),
    ...(info.group ? { group: info.group } : {}),
    kind: info.resource,
  };
}

export const errors = {
  notFound: (info: ResourceInfo, name: string) =>
    failure(404, 'NotFound', `${qualifiedName(info)} "${name}" not found`, detailsOf(info, name)),
  namespaceNotFound: (ns: string) =>
    failure(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }),
  pathNotFound: () => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  alreadyExists: (info: ResourceInfo, name: string) =>
    failure(409, 'AlreadyExists', `${qualifiedName(info)} "${name}" already exists`, detailsOf(info, name)),
  conflict: (info: ResourceInfo, name: string) =>
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedName(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      detailsOf(info, name),
    ),
  invalid: (info: ResourceInfo, name: string, causes: { field: string; message: string }[]) =>
    failure(
      422,
      'Invalid',
      `${info.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      {
        ...detailsOf(info, name),
        kind: info.kind,
        causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })),
      },
    ),
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  methodNotAllowed: () =>
    failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  unsupportedMediaType: (contentType: string) =>
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${contentType ? '' : ''}`,
    ),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (
    user: string,
    verb: string,
    info: ResourceInfo,
    subresource: string | null,
    namespace: string | null,
    name: string | null,
  ) => {
    const resource = subresource ? `${info.resource}/${subresource}` : info.resource;
    const subject = name ? `${qualifiedName(info)} "${name}"` : qualifiedName(info);
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    return failure(
      403,
      'Forbidden',
      `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${info.group}" ${scope}`,
      detailsOf(info, name ?? undefined),
    );
  },
  tooManyRequests: (
    message: string,
    retryAfterSeconds?: number,
    causes?: { reason: string; message: string }[],
  ) => {
    const err = failure(429, 'TooManyRequests', message, {
      ...(causes ? { causes } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
    if (retryAfterSeconds !== undefined) err.headers['Retry-After'] = String(retryAfterSeconds);
    return err;
  },
  expired: (message: string) => failure(410, 'Expired', message),
  gone: (message: string) => failure(410, 'Gone', message),
  internal: (message: string) =>
    failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  serviceUnavailable: (message: string) => failure(503, 'ServiceUnavailable', message),
  byCode: (code: number, message?: string, reason?: string) => {
    const reasons: Record<number, string> = {
      400: 'BadRequest',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'NotFound',
      409: 'Conflict',
      410: 'Expired',
      422: 'Invalid',
      429: 'TooManyRequests',
      500: 'InternalError',
      502: 'BadGateway',
      503: 'ServiceUnavailable',
      504: 'Timeout',
    };
    return failure(code, reason ?? reasons[code] ?? 'Unknown', message ?? `injected fault: ${code}`);
  },
};

export function successStatus(info: ResourceInfo, name: string, uid: string | undefined): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(info, name), ...(uid ? { uid } : {}) },
  };
}
