import type { DiagnosisStage, EvidenceSource, FixAdvice, Signal } from '../diagnosis/types.js';
import { humanSpan } from '../text/duration.js';

/**
 * The words a person reads for the report's internal names, in one place: the command line's text
 * and the Slack message both take them from here, so the two say the same thing the same way and
 * neither shows an identifier such as `apiserver-pod-logs`.
 */

/** Where a rate came from; a sentence puts "the" before it: "measured by the churn watch". */
export const SOURCE_LABELS: Record<EvidenceSource, string> = {
  'apiserver-pod-logs': 'kube-apiserver pod log',
  'log-files': 'log files',
  'audit-log': 'audit log',
  churn: 'churn watch',
};

/** What a source read for as long as it read: "1 s of watching", "35 s of log". */
const READ_WORDS: Record<EvidenceSource, string> = {
  'apiserver-pod-logs': 'log',
  'log-files': 'log',
  'audit-log': 'audit log',
  churn: 'watching',
};

/**
 * After "20 updates": over how long a measured rate is (" over 15 s"); for a lower bound, how long
 * the source read and that it was too few (" in 1 s of watching, too few to measure a rate").
 */
export function observedWords(r: {
  source: EvidenceSource;
  observedSeconds: number | null;
  lowerBound: boolean;
}): string {
  const span = r.observedSeconds ? humanSpan(r.observedSeconds) : null;
  if (!r.lowerBound) return span ? ` over ${span}` : '';
  return `${span ? ` in ${span} of ${READ_WORDS[r.source]}` : ''}, too few to measure a rate`;
}

/**
 * What one counted item is called: a watch sees an object change, not the request that changed
 * it, so the churn watch counts updates where the logs count writes.
 */
export function countNoun(source: EvidenceSource): 'write' | 'update' {
  return source === 'churn' ? 'update' : 'write';
}

/** What was counted to measure a rate: "counted from httplog access lines". */
export const SIGNAL_LABELS: Record<Signal, string> = {
  'satisfied-by': '"satisfied by" handler lines',
  httplog: 'httplog access lines',
  audit: 'audit events',
  churn: 'watch MODIFIED events',
};

/**
 * The same signals where a log scan says what it counted, with what a person needs to judge the
 * count: which file the line comes from, and that one request is counted once.
 */
export const SCAN_SIGNAL_LABELS: Record<Signal, string> = {
  'satisfied-by': 'handler.go "satisfied by" lines (one per request)',
  httplog: 'httplog "HTTP" access lines',
  audit: 'audit events at stage ResponseComplete',
  churn: 'watch events',
};

/** What each stage is called wherever a person reads it: the CLI's stderr, the job's message, status. */
export const STAGE_LABELS: Record<DiagnosisStage, string> = {
  queued: 'Queued',
  'reading-apiserver-logs': 'Reading apiserver logs',
  'watching-churn': 'Watching writes',
  'reading-node-objects': 'Reading node objects',
  'asking-node-agents': 'Asking the node agents',
  done: 'Done',
};

export type PlanKind = 'patch' | 'drain';

/** The two fixes, named the same way in the terminal, in Slack and on the buttons. */
export const PLAN_WORDS: Record<PlanKind, { name: string; title: string; approval: string; button: string }> =
  {
    patch: {
      name: 'patch',
      title: 'Patch the node object',
      approval: 'the patch',
      button: 'Approve patch',
    },
    drain: {
      name: 'drain',
      title: 'Drain and remove the node',
      approval: 'drain and remove',
      button: 'Approve drain and remove',
    },
  };

/** What the recommendation says to do: a fix's title, or that neither fix should be applied now. */
export function fixAdviceLabel(fix: FixAdvice['fix']): string {
  return fix === 'none' ? 'No fix yet' : PLAN_WORDS[fix].title;
}

export { watchWords } from '../diagnosis/progress-words.js';

/**
 * Where a patch value came from (PatchPlan.derivedFrom), as a reviewer checks it: "from the node's
 * InternalIP", "from the hostname (spec.requestedHostname)", "from sibling m-p9w4d".
 */
export function derivedSourceWords(source: string): string {
  if (source.startsWith('status.internalNodeStatus.addresses (InternalIP)'))
    return "from the node's InternalIP";
  if (source === 'spec.requestedHostname') return 'from the hostname (spec.requestedHostname)';
  if (source === 'spec.etcd / spec.controlPlane / spec.worker')
    return "from the node's roles (spec.etcd, controlPlane, worker)";
  if (source === '<cluster-id>:<node-id>') return 'as <cluster-id>:<node-id>';
  return `from ${source}`;
}
