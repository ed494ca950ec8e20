import { parseRfc3339 } from './time.js';
import { verbIndex } from './request-path.js';
import { BACKSLASH, QUOTE, ascii, indexWithin } from './ascii.js';

/**
 * Audit log lines (`audit.k8s.io/v1` Event objects, one a line): events of the stages before
 * ResponseComplete told apart without JSON.parse, and a ResponseComplete event's request (its
 * object's path, verb and time) from the parsed event.
 */

const STAGE_COMPLETE = ascii('"stage":"ResponseComplete"');
const AUDIT_KIND = ascii('"kind":"Event"');
const AUDIT_API_VERSION = ascii('"apiVersion":"audit.k8s.io/');

/**
 * True when `buf[start, end)` is one JSON object closed by its last byte. Strings and nesting are
 * followed, values are not checked: enough to tell a whole line from a truncated one without
 * JSON.parse.
 */
function closedJsonObject(buf: Buffer, start: number, end: number): boolean {
  let depth = 0;
  let inString = false;
  for (let p = start; p < end; p++) {
    const c = buf[p];
    if (inString) {
      if (c === BACKSLASH) p++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return p === end - 1;
  }
  return false;
}

/**
 * True when the JSON line `buf[start, end)` is a whole audit event of a stage before
 * ResponseComplete (RequestReceived, ResponseStarted): the same request is counted at
 * ResponseComplete. A truncated event is no event: it goes on to JSON.parse and is skipped.
 */
export function earlyAuditStage(buf: Buffer, start: number, end: number): boolean {
  const isAudit =
    indexWithin(buf, AUDIT_KIND, start, end) >= 0 && indexWithin(buf, AUDIT_API_VERSION, start, end) >= 0;
  return isAudit && indexWithin(buf, STAGE_COMPLETE, start, end) < 0 && closedJsonObject(buf, start, end);
}

/** A JSON.parse'd line is an audit event when its kind and apiVersion say so. */
export const isAuditEvent = (record: Record<string, unknown>): boolean =>
  record.kind === 'Event' &&
  typeof record.apiVersion === 'string' &&
  record.apiVersion.startsWith('audit.k8s.io/');

export const isResponseComplete = (event: Record<string, unknown>): boolean =>
  event.stage === 'ResponseComplete';

/**
 * The request of a ResponseComplete event: null when its verb or time cannot be read; `path` null
 * when it names no resource.
 */
export function auditRequest(
  event: Record<string, unknown>,
): { verb: number; timeMs: number; path: string | null } | null {
  const ref = event.objectRef as Record<string, unknown> | undefined;
  const verbName = event.verb;
  const stamp =
    typeof event.requestReceivedTimestamp === 'string'
      ? event.requestReceivedTimestamp
      : event.stageTimestamp;
  if (typeof verbName !== 'string' || typeof stamp !== 'string') return null;
  const stampBytes = Buffer.from(stamp, 'latin1');
  const timeMs = parseRfc3339(stampBytes, 0, stampBytes.length);
  if (Number.isNaN(timeMs)) return null;
  const verb = verbIndex(verbName);
  if (typeof ref !== 'object' || ref === null || typeof ref.resource !== 'string')
    return { verb, timeMs, path: null };
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  const group = str(ref.apiGroup) ?? '';
  const version = str(ref.apiVersion) ?? (group ? '' : 'v1');
  const path =
    (group ? `/apis/${group}/${version}` : `/api/${version}`) +
    (str(ref.namespace) ? `/namespaces/${str(ref.namespace)}` : '') +
    `/${ref.resource}` +
    (str(ref.name) ? `/${str(ref.name)}` : '') +
    (str(ref.name) && str(ref.subresource) ? `/${str(ref.subresource)}` : '');
  return { verb, timeMs, path };
}
