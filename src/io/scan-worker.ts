import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LogScanner, exportCounts } from '../diagnosis/logscan/index.js';
import { scanSharedRanges } from './scan-range.js';
import { HANDOVER_BYTES, type RangeJob, type WorkerMessage } from './worker-protocol.js';

/**
 * Worker thread entry: scans ranges of a file until none is left and posts its counts. The job
 * comes as workerData, or, for a worker booted ahead (scan-workers.ts), in a `job` message.
 */
const port = parentPort;
if (port) {
  const job = workerData as RangeJob | null;
  if (job !== null) run(port, job);
  else {
    port.once('message', (message: { type: 'job'; job: RangeJob }) => run(port, message.job));
    port.postMessage({ type: 'ready' } satisfies WorkerMessage);
  }
}

function run(port: MessagePort, job: RangeJob): void {
  let pending = 0;
  const handoverBytes = job.handoverBytes ?? HANDOVER_BYTES;
  // The kernel's slot events go back as records: the thread that started this one carries them in.
  const scanner = new LogScanner({ ...job.options, recordSlots: true });
  scanSharedRanges(job.ranges, scanner, {
    onBytes: (bytes) => {
      pending += bytes;
      if (pending >= 16 << 20) {
        port.postMessage({ type: 'progress', bytes: pending } satisfies WorkerMessage);
        pending = 0;
      }
    },
    afterRange: () => {
      if (scanner.recordedBytes() < handoverBytes) return;
      void scanner.counts; // takes the kernel's slots into a record
      const { records, transfer } = scanner.recordedSlots();
      port.postMessage({ type: 'slots', slots: records } satisfies WorkerMessage, transfer);
    },
  }).then(
    () => {
      if (pending) port.postMessage({ type: 'progress', bytes: pending } satisfies WorkerMessage);
      const { packed, transfer } = exportCounts(scanner.counts);
      const slots = scanner.recordedSlots();
      port.postMessage({ type: 'done', counts: packed, slots: slots.records } satisfies WorkerMessage, [
        ...transfer,
        ...slots.transfer,
      ]);
    },
    (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      port.postMessage({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        code: typeof code === 'string' ? code : null,
      } satisfies WorkerMessage);
    },
  );
}
