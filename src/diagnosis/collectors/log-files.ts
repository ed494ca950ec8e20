import { plural } from '../../text/plural.js';
import type { ScopeCollector } from './collector.js';

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
    const summary = await context.ports.logFiles.scan(files, (p) => {
      if (p.bytesDone - lastReport >= PROGRESS_EVERY_BYTES) {
        lastReport = p.bytesDone;
        progress({ stage: 'reading-apiserver-logs', detail: `scanning ${p.path}`, bytes: p.bytesDone });
      }
    });
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
