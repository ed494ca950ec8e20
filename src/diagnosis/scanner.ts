import type { ScannerFactory } from './log-evidence.js';
import type { ProgressReporter, WriteActivityEvidence } from './types.js';

/**
 * Adapter between the diagnosis and the log scanner (src/diagnosis/logscan). Until the scanner
 * lands, log evidence is unavailable and the diagnosis relies on churn and the node objects.
 */
export const createApiserverLogScanner: ScannerFactory = () => {
  throw new Error('the log scanner is not available in this build');
};

export async function scanLogFiles(
  _files: string[],
  _progress: ProgressReporter,
): Promise<WriteActivityEvidence[]> {
  throw new Error('the log scanner is not available in this build');
}
