/**
 * Public types of the stand-in kube-apiserver: what tests and the benchmark code against.
 * The scenario's own shape (validated from YAML) lives in scenario.ts.
 */

/** Any Kubernetes object as stored: apiVersion, kind and metadata are always present once stored. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: K8sMetadata;
  [field: string]: unknown;
}

export interface K8sMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  [field: string]: unknown;
}

/** 'local' or a downstream cluster id such as 'c-dql6k'. */
export type ClusterName = string;

/** One HTTP request as the stand-in saw it, for assertions. */
export interface RecordedRequest {
  /** Which cluster's store answered: 'local', a downstream id, or null (not routed, e.g. 401/404 before routing). */
  cluster: ClusterName | null;
  method: string;
  /** Path as requested, including any /k8s/clusters/<id> prefix, without the query string. */
  path: string;
  /** Path inside the cluster (the /k8s/clusters/<id> prefix removed). */
  apiPath: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Status code answered (0 when the connection was reset by a fault). */
  status: number;
  user: string | null;
  at: Date;
}

export interface RequestFilter {
  method?: string;
  /** Matched against the full request path; substring when a string. */
  path?: string | RegExp;
  /** true: only dryRun=All requests; false: only real ones. */
  dryRun?: boolean;
}

/** Answer a matching request with a canned failure, a number of times. */
export interface FaultSpec {
  /** Upper-case method; any when absent. */
  method?: string;
  /** Matched against the full request path (with /k8s/clusters/<id> prefix); substring when a string. */
  path?: string | RegExp;
  /**
   * true: only dry-run requests (dryRun=All), as an admission webhook that refuses them; false:
   * only real ones; either when absent.
   */
  dryRun?: boolean;
  /** true: only watch requests (`watch=true`), as a watch refused or expired; false: all but watches; either when absent. */
  watch?: boolean;
  /** Status reason in the answer's body (default: the code's usual one). */
  reason?: string;
  /** How many matching requests to fault; default 1. Infinity for always. */
  times?: number;
  /** HTTP status to answer (with a Status body), e.g. 500, 503, 429. */
  status?: number;
  /** Adds a Retry-After header (seconds). */
  retryAfterSeconds?: number;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Delay before handling (or before the fault's answer). Alone, it only delays. */
  latencyMs?: number;
  /** Overrides the Status message. */
  message?: string;
}

export interface FaultHandle {
  /** How many requests this fault has hit so far. */
  readonly hits: number;
  /** How many it may still hit. */
  readonly remaining: number;
  remove(): void;
}

/** Deny a verb on a resource, answered with 403 and kube-apiserver's wording. */
export interface ForbidRule {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | string;
  /** API group, '' for core. */
  group: string;
  /** Plural resource name, e.g. 'nodes'; a subresource as 'pods/log'. */
  resource: string;
  /** Limit to one namespace; all namespaces (and cluster scope) when absent. */
  namespace?: string;
  /** Limit to one user; everyone when absent. */
  user?: string;
  /** 'local' or a downstream id; every cluster when absent. */
  cluster?: ClusterName;
}

export interface FaultControl {
  inject(spec: FaultSpec): FaultHandle;
  forbid(rule: ForbidRule): FaultHandle;
  /** Remove every injected fault and forbid rule (scenario ones included). */
  clear(): void;
}

export interface LoopControl {
  /** Run n rounds of the loop (default 1) synchronously, whatever the timer does. */
  tick(n?: number): void;
  /** Stop the timer; tick() still works. */
  stop(): void;
  /** (Re)start the timer with the configured interval. */
  start(intervalMs?: number): void;
  /** Whether the timer runs. */
  readonly running: boolean;
  /** Whether this node object is (still) being rewritten: the loop condition holds now. */
  isLooping(clusterId: string, nodeId: string): boolean;
  /** Writes the loop has made to this object so far. */
  writes(clusterId: string, nodeId: string): number;
}

export interface KubeconfigOptions {
  /** Context (and cluster/user) name; default 'standin-local'. */
  context?: string;
  /** Token to put in the user; default the local token. */
  token?: string;
}

export interface Standin {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Token accepted by the Rancher proxy /k8s/clusters/<id> (and /k8s/clusters/local). */
  readonly rancherToken: string;
  /** Token accepted by the local cluster's API at the root. */
  readonly localToken: string;
  /** Downstream cluster ids of the scenario (reachable or not). */
  readonly downstreamIds: string[];
  kubeconfigYaml(opts?: KubeconfigOptions): string;
  writeKubeconfig(path: string, opts?: KubeconfigOptions): Promise<void>;
  /** Kubeconfig whose server is url + /k8s/clusters/<id>, with the Rancher token. */
  downstreamKubeconfigYaml(clusterId: string): string;
  /** Stored object at an API path such as /api/v1/namespaces/x/pods/y; undefined when absent. */
  get(cluster: ClusterName, apiPath: string): K8sObject | undefined;
  /** All stored objects of a collection path such as /apis/management.cattle.io/v3/nodes. */
  list(cluster: ClusterName, apiPath: string): K8sObject[];
  /** Store a new object (AlreadyExists throws). Watchers see ADDED. */
  create(cluster: ClusterName, obj: Omit<K8sObject, 'metadata'> & { metadata: K8sMetadata }): K8sObject;
  /** Create or replace an object regardless of resourceVersion. Watchers see ADDED/MODIFIED. */
  put(cluster: ClusterName, obj: K8sObject): K8sObject;
  /** Delete the object at an API path; false when absent. Watchers see DELETED. */
  delete(cluster: ClusterName, apiPath: string): boolean;
  /** Append lines to a pod container's log (timestamps default to now). */
  appendPodLog(
    cluster: ClusterName,
    namespace: string,
    pod: string,
    container: string,
    lines: (string | { time: string; line: string })[],
  ): void;
  /** A container's log lines as stored (text only). */
  podLog(cluster: ClusterName, namespace: string, pod: string, container: string): string[];
  /** Drop a cluster's event history, as etcd compaction does: older watches and continue tokens get 410. */
  compact(cluster: ClusterName): void;
  /** Ends every open watch cleanly, as kube-apiserver does at a watch's timeout; returns how many. */
  endWatches(): number;
  /**
   * As a kube-apiserver restart: every open watch ends, and /metrics starts its counters from zero
   * under a new process_start_time_seconds, with the memory back at its base.
   */
  restartApiserver(): void;
  /** Current resourceVersion counter of a cluster's store. */
  resourceVersion(cluster: ClusterName): number;
  /** How many recorded requests match: method, a path (substring or pattern), dry run or not. */
  countRequests(filter?: RequestFilter): number;
  /** Added before every request is handled (0 turns it off): a slower network or apiserver. */
  setLatency(ms: number): void;
  /** Requests recorded since start (or the last clearRequests). */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  readonly faults: FaultControl;
  readonly loop: LoopControl;
  close(): Promise<void>;
}

export interface StandinOptions {
  /** A scenario file path, or a scenario object; the seed scenario when absent. */
  scenario?: string | import('./scenario.js').Scenario;
  /** Port on 127.0.0.1; 0 (any free port) by default. */
  port?: number;
  /** Loop timer period; null runs no timer (drive it with loop.tick()). Default: the scenario's, else 50. */
  loopIntervalMs?: number | null;
  /**
   * Treat requests that carry no Authorization header as this user (kube-apiserver's anonymous
   * auth), e.g. 'system:anonymous'. Needed for the real kubectl: client-go does not send a bearer
   * token over plain http. A wrong token still gets 401. Default: the scenario's (off).
   */
  anonymousUser?: string | null;
  /** Added before every request is handled; see Standin.setLatency. */
  latencyMs?: number;
  /** Puts the users of these tokens under RBAC (test/standin/rbac.ts); other users are unaffected. */
  rbac?: import('./rbac.js').RbacOptions;
}
