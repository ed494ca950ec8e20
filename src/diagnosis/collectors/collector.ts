import type { EarlyEndRule } from '../loop-rule.js';
import type { ClusterFacts } from '../nodes.js';
import type { KubeNode, ManagementNode, Pod, PodDisruptionBudget, RegistrationToken } from '../objects.js';
import type { DiagnosisPorts, DownstreamReader } from '../ports.js';
import type { AccessProblem, AgentEvidence, ProgressReporter, WriteActivityEvidence } from '../types.js';

/** What one diagnosis was asked to read, as the collectors need it. */
export interface CollectOptions {
  sinceSeconds?: number;
  watchSeconds: number;
  logFiles?: string[];
  apiserverLogLimitBytes?: number;
  churnProgressEveryMs?: number;
  /** When the churn watch may end before its window (default EARLY_END_RULE); null: never. */
  earlyEnd?: EarlyEndRule | null;
}

/** Everything a collector may use: the ports, what it is about, and where its results go. */
export interface CollectContext<Subject> {
  ports: DiagnosisPorts;
  options: CollectOptions;
  /** What is collected about: the cluster in scope, or one suspect node. */
  subject: Subject;
  signal?: AbortSignal;
  progress: ProgressReporter;
  /** A read that failed without stopping the diagnosis: it is listed in the report's problems. */
  problem(target: string, error: unknown): void;
  /** A problem that is not a failed read (a log cut at the read limit). */
  note(problem: AccessProblem): void;
  /**
   * For a collector running alongside: settles once the ones in turn (node objects, logs) are
   * read, so that it may end early without the report waiting on anything else.
   */
  othersRead?: Promise<void>;
  /** The value `make` gives for `key`, made once per diagnosis (a downstream cluster read for several of its nodes). */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
}

/** One source of evidence. A new source is a file with one of these and a line in ./index.ts. */
export interface Collector<Subject, Evidence> {
  readonly name: string;
  collect(context: CollectContext<Subject>): Promise<Evidence>;
}

/** The diagnosis's scope: one cluster, or all of them (clusterId null). */
export interface DiagnosisScope {
  clusterId: string | null;
}

/** What the scope collectors gather; each fills in its part. */
export interface ScopeEvidence {
  activity?: WriteActivityEvidence[];
  nodes?: ManagementNode[];
  /** Rancher's version as settings.management.cattle.io/server-version says; null when not known. */
  rancherVersion?: string | null;
}

/**
 * A scope collector either runs in turn (its failure is the diagnosis's, as for the node objects
 * it cannot do without) or alongside the others for its whole window (the churn watch), in which
 * case its failure becomes a problem with `failureTarget` and the others stop it if they fail.
 */
export interface ScopeCollector extends Collector<DiagnosisScope, ScopeEvidence> {
  readonly alongside?: { failureTarget: string };
}

/** A node object under suspicion whose downstream cluster is asked about it. */
export interface Suspect {
  clusterId: string;
  nodeId: string;
  node: ManagementNode;
  /** Its cluster as clusters.management.cattle.io tells; null (or absent) when that is not known. */
  cluster?: ClusterFacts | null;
}

/** What one downstream cluster told; each null is a read that failed (and is in the problems). */
export interface DownstreamFacts {
  clusterId: string;
  reader: DownstreamReader | null;
  nodes: KubeNode[] | null;
  agentPods: Pod[] | null;
  pdbs: PodDisruptionBudget[] | null;
  registrationTokens: RegistrationToken[] | null;
}

/** What the suspect collectors gather about one node; each fills in its part. */
export interface SuspectEvidence {
  downstream?: DownstreamFacts;
  agent?: AgentEvidence | null;
  /** Why there is no agent evidence, when that is worth a line in the finding. */
  agentNote?: string | null;
  podsOnNode?: Pod[] | null;
  /** The CAPI Machine behind a v2prov node; null when it was looked for and not found or not readable. */
  machine?: MachineFacts | null;
}

/** A v2prov node's CAPI Machine (machines.cluster.x-k8s.io), which removing the node deletes. */
export interface MachineFacts {
  namespace: string;
  name: string;
  /** The infrastructure's kind: CustomMachine for a custom host, a node driver's kind otherwise. */
  infrastructureKind: string | null;
  phase: string | null;
  /** How it was matched to the node: its annotation on the node, or its status.nodeRef. */
  matchedBy: string;
}

/** A suspect, and what the collectors before this one found about it. */
export interface SuspectSubject {
  suspect: Suspect;
  gathered: SuspectEvidence;
}

export type SuspectCollector = Collector<SuspectSubject, SuspectEvidence>;

/** What is known of a downstream cluster nobody could read: nothing. */
export function unreadDownstream(clusterId: string): DownstreamFacts {
  return { clusterId, reader: null, nodes: null, agentPods: null, pdbs: null, registrationTokens: null };
}
