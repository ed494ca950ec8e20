import { heatKey } from './findings.js';
import { createFieldChangeCounter } from './field-changes.js';
import { auditRequest, isAuditEvent, isResponseComplete } from './logscan/audit.js';
import { isWriteVerb } from './logscan/request-path.js';
import type { ActivitySummary, HotObject } from './types.js';

/**
 * An audit log at level Request or RequestResponse holds each write's body: the object an update
 * sent, or after it (responseObject), or a patch's fields. Read for the hot objects only, after the
 * scan, into counters of which fields flipped and who sent them. Pure: the lines come from the edge.
 */
export interface AuditWriteReader {
  /** Feed one line of the log (an audit event, or anything else, ignored). */
  line(text: string): void;
  /** The summary's hot objects with what their writes changed, where bodies were seen. */
  attach(summary: ActivitySummary): ActivitySummary;
}

/** Cheap test before JSON.parse: only events with a body can tell what changed. */
const HAS_BODY = /"(requestObject|responseObject)"/;

export function auditWriteReader(hot: readonly HotObject[]): AuditWriteReader {
  const keys = new Set(hot.map(heatKey));
  const names = [...new Set(hot.map((h) => h.ref.name))];
  const counter = createFieldChangeCounter();
  const seen = new Set<string>();
  return {
    line(text) {
      if (!HAS_BODY.test(text) || !names.some((n) => text.includes(n))) return;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (!isAuditEvent(event) || !isResponseComplete(event)) return;
      const request = auditRequest(event);
      if (!request?.path || !isWriteVerb(request.verb)) return;
      const key = nodeKeyOf(request.path);
      if (!keys.has(key)) return;
      const user = event.user as { username?: unknown } | undefined;
      const actor = {
        user: typeof user?.username === 'string' ? user.username : '(unknown user)',
        userAgent: typeof event.userAgent === 'string' ? event.userAgent : null,
      };
      const after = event.responseObject ?? (event.verb === 'update' ? event.requestObject : undefined);
      if (after !== undefined) counter.version(key, after, actor);
      else if (event.requestObject !== undefined) counter.fields(key, event.requestObject, actor);
      else return;
      seen.add(key);
    },
    attach(summary) {
      if (!seen.size) return summary;
      return {
        ...summary,
        hot: summary.hot.map((h) => {
          const changes = counter.summary(heatKey(h), 'audit-log');
          return changes ? { ...h, fieldChanges: changes } : h;
        }),
      };
    },
  };
}

/** A node object's /status writes are the node object's: one key for both, as the findings have it. */
function nodeKeyOf(path: string): string {
  return path.replace(
    /^(\/apis\/management\.cattle\.io\/v3\/namespaces\/[^/]+\/nodes\/[^/]+)\/status$/,
    '$1',
  );
}
