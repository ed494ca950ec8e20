import { plural } from '../../text/plural.js';
import { auditWriteReader } from '../audit-writes.js';
import type { ActivitySummary } from '../types.js';
import type { CollectContext, DiagnosisScope, ScopeCollector } from './collector.js';

const PROGRESS_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Files a person names (an RKE1 host's Docker json-file, a CRI log, an audit log) are scanned
 * whole, instead of the apiserver pods' logs: they chose the window by choosing the files, and an
 * old incident's log must not be cut by --since.
 */
export const logFiles: ScopeCollector = {
  name: 'log files',
  async collect(context) {
    const files = context.options.logFiles ?? [];
    if (!files.length) return {};
    const { progress } = context;
    progress({ stage: 'reading-apiserver-logs', detail: `scanning ${files.join(', ')}` });
    let lastReport = 0;
    const scanned = await context.ports.logFiles.scan(files, (p) => {
      if (p.bytesDone - lastReport >= PROGRESS_EVERY_BYTES) {
        lastReport = p.bytesDone;
        progress({ stage: 'reading-apiserver-logs', detail: `scanning ${p.path}`, bytes: p.bytesDone });
      }
    });
    const summary = await withWriteBodies(context, files, scanned);
    progress({
      stage: 'reading-apiserver-logs',
      detail: `${plural(summary.linesRead, 'line')}, ${plural(summary.hot.length, 'hot object')}`,
      bytes: summary.bytesRead,
      lines: summary.linesRead,
    });
    return {
      activity: [
        {
          source: summary.signal === 'audit' ? 'audit-log' : 'log-files',
          description: `log file${files.length === 1 ? '' : 's'} ${files.join(', ')}`,
          summary,
        },
      ],
    };
  },
};

/**
 * An audit log's hot objects, read again for their writes' bodies (level Request or
 * RequestResponse): which fields flipped and who sent them. A log without bodies adds nothing.
 */
async function withWriteBodies(
  context: CollectContext<DiagnosisScope>,
  files: string[],
  summary: ActivitySummary,
): Promise<ActivitySummary> {
  const again = context.ports.logFiles.eachLine;
  if (summary.signal !== 'audit' || !summary.hot.length || !again) return summary;
  context.progress({
    stage: 'reading-apiserver-logs',
    detail: "reading the hot objects' write bodies in the audit log",
  });
  const reader = auditWriteReader(summary.hot);
  try {
    await again(files, (line) => reader.line(line));
  } catch (error) {
    context.problem(`write bodies in ${files.join(', ')}`, error);
    return summary;
  }
  return reader.attach(summary);
}
