/**
 * The shared vocabulary of the diagnosis engine: what the log scanner and the churn watch
 * produce, what the node analysis concludes, and the report every front end (CLI, Slack) renders.
 * Plain data only, so that reports can cross the queue as JSON.
 */

/** An API object as it appears in a request path. `group` is '' for the core group. */
export interface ObjectRef {
  group: string;
  version: string;
  resource: string;
  namespace: string | null;
  name: string;
  /** e.g. 'status'; an object's subresource is counted apart from the object itself. */
  subresource: string | null;
}

/** Where a count of requests came from. */
export type Signal = 'satisfied-by' | 'httplog' | 'audit' | 'churn';

export type LogFormat = 'docker-json' | 'cri' | 'klog' | 'audit';

export interface RancherNodeKey {
  clusterId: string;
  nodeId: string;
}

/** Requests seen for one object over the scanned window. Times are ISO-8601 strings. */
export interface ObjectActivity {
  /** Canonical request path of the object, e.g. /apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc */
  key: string;
  ref: ObjectRef;
  /** Upper-case HTTP verbs (GET, LIST, WATCH, PUT, PATCH, POST, DELETE) to counts. */
  verbs: Record<string, number>;
  writes: number;
  reads: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Writes per minute, perMinute[0] being the minute that starts at perMinuteStart. */
  perMinute: number[];
  perMinuteStart: string | null;
}

export interface HotObject extends ObjectActivity {
  rank: number;
  /** Writes over observedSeconds (diagnosis/observed-rate.ts), a minute. */
  writesPerMinute: number;
  /**
   * How long the source observed it, in seconds: the span a measured rate is over, the window read
   * for a lower bound. Absent in reports made before it was added.
   */
  observedSeconds?: number;
  /** Set when too few writes were seen to measure a rate: writesPerMinute is then a lower bound. */
  lowerBound?: true;
  /** Which fields its writes changed, where the source can tell (a watch, an audit log with bodies). */
  fieldChanges?: FieldChanges;
  /** Set for nodes.management.cattle.io objects. */
  rancherNode: RancherNodeKey | null;
}

/** What one scan (log files, pod logs, audit log) or one churn watch found. */
export interface ActivitySummary {
  /** The signal whose counts are reported; null when no request line was seen. */
  signal: Signal | null;
  /** Request lines seen per signal, before choosing one to count. */
  signalsSeen: Partial<Record<Signal, number>>;
  formats: Partial<Record<LogFormat, number>>;
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  requestsCounted: number;
  distinctObjects: number;
  windowStart: string | null;
  windowEnd: string | null;
  /** Ranked, hottest first. */
  hot: HotObject[];
}

export type EvidenceSource = 'apiserver-pod-logs' | 'log-files' | 'audit-log' | 'churn';

export interface WriteActivityEvidence {
  source: EvidenceSource;
  /** Human description: which pods or files, which window. */
  description: string;
  summary: ActivitySummary;
  /** The churn watch's: why it ended. */
  watchEnd?: WatchEnd;
}

export type FindingKind = 'orphaned-machine-node' | 'loop-unknown-cause';

export type CauseCode =
  /** The m- object was deleted in Rancher but the node stayed in the downstream cluster. */
  | 'm-object-deleted-node-kept'
  /** During cleanup the m- object went first and nodessyncer made a machine- object meanwhile. */
  | 'machine-created-during-cleanup'
  /** Orphaned machine- node, but the evidence does not tell which way it came about. */
  | 'orphaned-way-unknown'
  | 'unknown';

export type Confidence = 'high' | 'medium' | 'low';

export interface EvidenceLine {
  kind: 'apiserver-log' | 'churn' | 'node-object' | 'sibling' | 'downstream-node' | 'agent-log' | 'note';
  text: string;
}

export interface AgentEvidence {
  namespace: string;
  podName: string;
  /** Lines saying the node waits to register, any wording. */
  waitingLines: number;
  lastWaitingAt: string | null;
  errorLines: number;
  /** A few of the agent's lines, verbatim, newest last. */
  sample: string[];
}

export interface UnderivableValue {
  /** Dotted path in the object, e.g. status.rkeNode.address */
  field: string;
  reason: string;
  /** What the person must fill in, and where to find it. Absent in plans made before it was added. */
  fillIn?: string;
}

/**
 * What a patch plan is built from, as read on the object: a later read that differs here makes the
 * plan wrong, while anything else the loop rewrites (the Updated condition, heartbeats) does not.
 */
export interface PatchBasis {
  /** status.internalNodeStatus.addresses as "Type=address", sorted. */
  addresses: string[];
  /** spec.requestedHostname (the plan's hostnameOverride), else the host's name as the object tells. */
  hostname: string | null;
  /** From spec.etcd / controlPlane / worker, in RKE's order. */
  roles: string[];
  rkeNodeAbsent: boolean;
  customConfigAbsent: boolean;
}

export interface PatchPlan {
  clusterId: string;
  nodeId: string;
  /** resourceVersion of the object the plan was built from, so that applying it can refuse if it moved. */
  resourceVersion: string;
  /** RFC 7386 JSON merge patch, exactly what will be sent. */
  mergePatch: Record<string, unknown>;
  /** Unified diff of the object (YAML) before and after the patch. */
  diff: string;
  complete: boolean;
  underivable: UnderivableValue[];
  /** Field path to where its value came from, e.g. 'status.rkeNode.port' -> 'sibling m-abcde'. */
  derivedFrom: Record<string, string>;
  /** What the plan was built from; absent in plans made before it was added (they cannot be applied). */
  basis?: PatchBasis;
  /** The healthy node object of the same cluster the plan was compared with: the yardstick after the fix. */
  siblingId?: string | null;
  /**
   * Why the patch must not be offered or applied here (not a custom RKE1 node: a node pool, a v2prov
   * cluster); absent when it may be.
   */
  ineligible?: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  owner: string | null;
  /** Set on a pod to evict whose emptyDir volumes are lost with it. */
  emptyDir?: true;
  /** Set on a pod to evict that no controller re-creates elsewhere. */
  noController?: true;
}

export interface RegistrationRef {
  /** The clusterregistrationtokens.management.cattle.io object (in the cluster's namespace) whose status.nodeCommand registers the host. */
  tokenName: string;
  roles: ('etcd' | 'controlplane' | 'worker')[];
  /** status.nodeCommand with the role flags and the token replaced by REGISTRATION_TOKEN_MASK; null when the command's form did not let the token be found. */
  maskedCommand: string | null;
}

/** What removing the node deletes where Rancher provisions the host itself. */
export interface RemovalTarget {
  /** 'capi-machine': a v2prov node's machines.cluster.x-k8s.io; 'node-pool-node': an RKE1 node pool's node object. */
  kind: 'capi-machine' | 'node-pool-node';
  namespace: string;
  /** null when the Machine could not be found. */
  name: string | null;
  /** True when its owner makes a new one (a MachineDeployment, a node pool); false for a custom host, registered again by hand. */
  replaced: boolean;
}

export interface DrainPlan {
  clusterId: string;
  nodeId: string;
  /** The Kubernetes node in the downstream cluster; null when it could not be found. */
  downstreamNode: string | null;
  /** False when the downstream cluster's nodes could not be listed; absent in older plans. */
  downstreamRead?: boolean;
  evict: PodRef[];
  /** Pods drain leaves alone (DaemonSet, mirror pods) with the reason. */
  leave: (PodRef & { reason: string })[];
  blockingPodDisruptionBudgets: { namespace: string; name: string; reason: string }[];
  /**
   * The control roles (etcd, controlplane) the node holds with no other node downstream holding
   * them: removing it would take the role from the cluster. Absent in older plans and when the
   * downstream nodes were not read.
   */
  lastOfRole?: ('etcd' | 'controlplane')[];
  steps: string[];
  /**
   * How the host registers again, without the cluster's registration token: the token lets whoever
   * holds it join nodes to the cluster, and plans are posted in channels and kept in Redis. null
   * when no token with a command could be read.
   */
  registration: RegistrationRef | null;
  notes: string[];
  /**
   * How to point kubectl at the downstream cluster for the steps that run there, e.g.
   * `--server https://rancher.example.com/k8s/clusters/c-dql6k --token "$RANCHER_TOKEN"` or
   * `--kubeconfig /etc/downstream/c-dql6k.yaml`: the way this diagnosis reached it. null when it was
   * not reached; absent in plans made before it was added.
   */
  downstreamKubectl?: string | null;
  /**
   * Set where Rancher provisions the host (v2prov, node pools): what is deleted in Rancher's local
   * cluster to remove the node, in place of deleting the Kubernetes node. Absent otherwise.
   */
  removal?: RemovalTarget;
}

/** How often an object was written, as one source measured it. */
export interface WriteRate {
  writes: number;
  writesPerMinute: number;
  /** Set when too few writes were seen to measure: they came at least this fast. Absent: measured. */
  lowerBound?: true;
  source: EvidenceSource;
  signal: Signal;
}

/** One source's sighting of an object: its WriteRate plus which evidence saw it, and when. */
export interface WriteSighting extends WriteRate {
  /** The evidence that measured it (WriteActivityEvidence.description): which pods, files or watch, which window. */
  description: string;
  firstSeen: string | null;
  lastSeen: string | null;
  /**
   * How long the source observed the object, in seconds: the span a measured rate is over, the
   * window read for a lower bound. Absent in reports made before it was added.
   */
  observedSeconds?: number;
  /** Which fields the writes this source saw changed, and who changes them; absent where it cannot tell. */
  fieldChanges?: FieldChanges;
}

/** One field path that writes of an object changed. */
export interface FieldChange {
  /** e.g. status.conditions[type=Updated].lastUpdateTime, or status.dockerInfo for all of a writer's field. */
  path: string;
  /** Writes that changed it. */
  writes: number;
  /** writes / FieldChanges.compared, 0 to 1. */
  share: number;
  /** The writers known to write it (DOMAIN.md, "Who writes such an object"), by name. */
  writers: string[];
}

/** Who wrote the object, as an audit log names them. */
export interface WriteActor {
  user: string;
  userAgent: string | null;
  writes: number;
}

/**
 * Consecutive versions of one object compared: which paths changed how often, the writers those
 * paths belong to, and (from an audit log) the users who wrote. Counters only, never the versions.
 */
export interface FieldChanges {
  source: EvidenceSource;
  /** Writes compared with the version before them. */
  compared: number;
  /** Writes that changed no field but the object's bookkeeping (resourceVersion, managedFields). */
  unchanged: number;
  /** Most often changed first; at most a few dozen. */
  fields: FieldChange[];
  /** The writers those fields point at, with the share of writes that touched a field of theirs. */
  writers: { name: string; share: number; fields: string[] }[];
  /** From an audit log: who sent the writes, most first. */
  actors?: WriteActor[];
}

/** Which of the two fixes fits what was found, in one line. */
export interface FixAdvice {
  /** 'none' when neither fix should be applied now (e.g. the node is gone and the loop should stop by itself). */
  fix: 'drain' | 'patch' | 'none';
  reason: string;
}

export interface Finding {
  /** Stable within a report: `<clusterId>/<nodeId>` for nodes, the object key otherwise. */
  id: string;
  kind: FindingKind;
  objectKey: string;
  clusterId: string | null;
  clusterName: string | null;
  nodeId: string | null;
  hostname: string | null;
  ip: string | null;
  /**
   * The best-founded rate: a measurement before a lower bound, then the sighting observed longest
   * (one of writeRates); null when the object was not hot. (Reports made before observedSeconds was added chose the highest.)
   */
  writeRate: WriteRate | null;
  /**
   * Every source's sighting of the object (apiserver logs summed over the pods, log files, audit
   * log, churn), best founded first. Absent in reports made before it was added.
   */
  writeRates?: WriteSighting[];
  cause: { code: CauseCode; summary: string; details: string[] };
  confidence: Confidence;
  /** What the node object lacks, e.g. ['status.rkeNode', 'spec.customConfig']. */
  missing: string[];
  sibling: { nodeId: string; hostname: string | null } | null;
  agent: AgentEvidence | null;
  evidence: EvidenceLine[];
  patchPlan: PatchPlan | null;
  drainPlan: DrainPlan | null;
  /** Which fix fits the cause found; set for orphaned machine- nodes, absent otherwise (and in older reports). */
  fixAdvice?: FixAdvice;
}

/** Something the diagnosis could not read, and what to grant or check. */
export interface AccessProblem {
  target: string;
  status: number | null;
  message: string;
  hint: string;
}

export type DiagnosisStage =
  | 'queued'
  | 'reading-apiserver-logs'
  | 'watching-churn'
  | 'reading-node-objects'
  | 'asking-node-agents'
  | 'done';

export interface ProgressEvent {
  stage: DiagnosisStage;
  detail: string;
  bytes?: number;
  lines?: number;
  /** On `watching-churn` events: where the watch window is. */
  watch?: WatchProgress;
}

/** The churn watch so far; `secondsLeft` 0 once the window is over. */
export interface WatchProgress {
  seconds: number;
  secondsLeft: number;
  updates: number;
  objects: number;
  /** Once it has ended: why. */
  ended?: WatchEnd;
}

/**
 * Why the churn watch ended: its whole window ran (nothing looping needs all of it), the evidence
 * of a loop was conclusive before that, or it was stopped (cancelled, failed) midway.
 */
export interface WatchEnd {
  reason: 'window' | 'conclusive' | 'stopped';
  /** For 'conclusive': the object that settled it, and what it showed. */
  object?: { key: string; writes: number; seconds: number; writesPerMinute: number };
}

export type ProgressReporter = (event: ProgressEvent) => void;

export interface ClusterSummary {
  id: string;
  name: string;
  driver: string | null;
}

export interface DiagnosisReport {
  startedAt: string;
  finishedAt: string;
  scope: {
    clusterId: string | null;
    sinceSeconds: number | null;
    /** The churn window asked for. */
    watchSeconds: number | null;
    /** Seconds the churn watch really ran; null when none ran or it failed. */
    watchedSeconds: number | null;
    /** Why the churn watch ended; absent when none ran, it failed, or in older reports. */
    watchEnd?: WatchEnd;
  };
  clusters: ClusterSummary[];
  activity: WriteActivityEvidence[];
  findings: Finding[];
  problems: AccessProblem[];
  /** settings.management.cattle.io/server-version; null when it could not be read, absent in older reports. */
  rancherVersion?: string | null;
}
