/**
 * The HTTP front: authentication, Rancher's /k8s/clusters/<id> proxy, injected faults, request
 * recording, discovery, then the resource handlers of the addressed cluster.
 */
import { writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleResource, verbOf, type ClusterState } from './api.js';
import {
  aggregatedDiscovery,
  AGGREGATED_V2_CONTENT_TYPE,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  wantsAggregatedV2,
} from './discovery.js';
import { Faults } from './faults.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { stopKubelet } from './kubelet.js';
import { LoopSimulator } from './loop.js';
import { ApiserverCounters, sendMetrics } from './metrics.js';
import { startNodesyncer } from './nodesyncer.js';
import { parseApiPath } from './paths.js';
import { PodLogStore, toLogLine } from './podlogs.js';
import { forbiddenPath, RbacAuthorizer } from './rbac.js';
import { qualifiedName, ResourceRegistry } from './resources.js';
import { sendError, sendJson } from './respond.js';
import {
  loadScenario,
  parseScenario,
  seedScenarioPath,
  type ParsedScenario,
  type ScenarioToken,
} from './scenario.js';
import { ApiError, errors } from './status.js';
import { ClusterStore } from './store.js';
import { scenarioSettings } from './rancher-kinds.js';
import type {
  K8sObject,
  KubeconfigOptions,
  RecordedRequest,
  RequestFilter,
  Standin,
  StandinOptions,
} from './types.js';

const PROXY_PREFIX = /^\/k8s\/clusters\/([^/]+)(\/.*)?$/;

export async function startStandin(opts: StandinOptions = {}): Promise<Standin> {
  const scenario =
    typeof opts.scenario === 'string'
      ? loadScenario(opts.scenario)
      : opts.scenario
        ? parseScenario(opts.scenario)
        : loadScenario(seedScenarioPath);
  const server = new StandinServer(scenario, opts);
  await server.listen(opts.port ?? 0);
  return server;
}

function tokenMap(tokens: ScenarioToken[]): Map<string, string> {
  return new Map(tokens.map((t) => [t.token, t.user]));
}

class StandinServer implements Standin {
  readonly faults = new Faults();
  readonly loop: LoopSimulator;
  readonly rancherToken: string;
  readonly localToken: string;
  readonly downstreamIds: string[];
  private readonly recorded: RecordedRequest[] = [];
  private readonly clusters = new Map<string, ClusterState>();
  private readonly unreachable = new Set<string>();
  private readonly logs = new PodLogStore();
  private readonly localTokens: Map<string, string>;
  private readonly rancherTokens: Map<string, string>;
  private readonly longRunning = new Set<() => void>();
  private readonly watches = new Set<() => void>();
  private readonly counters = new ApiserverCounters();
  private readonly anonymousUser: string | null;
  private readonly rbac: RbacAuthorizer | null;
  private readonly http: http.Server;
  private address: AddressInfo | null = null;
  private latencyMs: number;

  constructor(
    private readonly scenario: ParsedScenario,
    opts: StandinOptions,
  ) {
    this.anonymousUser = opts.anonymousUser === undefined ? scenario.anonymousUser : opts.anonymousUser;
    this.latencyMs = opts.latencyMs ?? 0;
    this.localTokens = tokenMap(scenario.tokens.local);
    this.rancherTokens = tokenMap(scenario.tokens.rancher);
    this.localToken = scenario.tokens.local[0]?.token ?? 'standin-local-token';
    this.rancherToken = scenario.tokens.rancher[0]?.token ?? 'token-standin:rancher';
    if (!this.localTokens.has(this.localToken)) this.localTokens.set(this.localToken, 'system:admin');
    this.rbac = opts.rbac ? new RbacAuthorizer(opts.rbac) : null;
    for (const [token, user] of Object.entries(opts.rbac?.tokens ?? {})) this.localTokens.set(token, user);
    if (!this.rancherTokens.has(this.rancherToken)) this.rancherTokens.set(this.rancherToken, 'u-standin');
    const now = Date.now();
    for (const [name, cluster] of Object.entries(scenario.clusters)) {
      const state: ClusterState = { name, store: new ClusterStore(name), registry: new ResourceRegistry() };
      this.clusters.set(name, state);
      if (cluster.unreachable) this.unreachable.add(name);
      const settings = name === 'local' ? scenarioSettings(scenario) : [];
      this.seed(state, [...settings, ...(cluster.objects as K8sObject[])]);
      for (const info of state.registry.all()) {
        if (
          scenario.statusSubresources.includes(qualifiedName(info)) &&
          !info.subresources.includes('status')
        )
          info.subresources = [...info.subresources, 'status'];
      }
      for (const log of cluster.podLogs) {
        const container = log.container ?? this.firstContainer(state, log.namespace, log.pod) ?? '';
        this.logs.append(
          name,
          log.namespace,
          log.pod,
          container,
          log.lines.map((l) => toLogLine(l, now)),
        );
      }
    }
    this.downstreamIds = [...this.clusters.keys()].filter((n) => n !== 'local');
    for (const rule of scenario.faults.forbid) this.faults.forbid(rule);
    for (const fault of scenario.faults.inject) this.faults.inject(fault);
    const downstream = new Map([...this.clusters].filter(([n]) => n !== 'local'));
    const interval = opts.loopIntervalMs === undefined ? scenario.loop.intervalMs : opts.loopIntervalMs;
    this.loop = new LoopSimulator(
      {
        local: this.clusters.get('local')!,
        downstream,
        logs: this.logs,
        settings: scenario.loop,
        startMs: now,
      },
      interval ?? scenario.loop.intervalMs,
    );
    if (interval !== null) this.loop.start();
    startNodesyncer(this.clusters.get('local')!, downstream);
    // A deleted pod's logs go with it.
    for (const state of this.clusters.values()) {
      state.store.onEvent((event) => {
        if (event.type === 'DELETED' && event.info.resource === 'pods' && event.info.group === '') {
          this.logs.dropPod(state.name, event.entry.obj.metadata.namespace!, event.entry.obj.metadata.name);
        }
      });
    }
    this.http = http.createServer((req, res) => void this.handle(req, res));
    this.http.keepAliveTimeout = 1000;
  }

  /** Namespaces the objects use are created too, so that `kubectl get ns` tells the truth. */
  private seed(state: ClusterState, objects: K8sObject[]): void {
    const nsInfo = state.registry.lookup('', 'v1', 'namespaces')!;
    const namespaces = new Set<string>();
    for (const obj of objects) {
      const info = state.registry.forObject(obj.apiVersion, obj.kind, obj.metadata.namespace !== undefined);
      if (info.namespaced) namespaces.add(obj.metadata.namespace ?? 'default');
      if (info === nsInfo) namespaces.delete(obj.metadata.name);
      state.store.create(info, obj);
    }
    for (const ns of [...namespaces].sort()) {
      if (!state.store.get(nsInfo, null, ns)) {
        state.store.create(nsInfo, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        });
      }
    }
  }

  private firstContainer(state: ClusterState, namespace: string, pod: string): string | undefined {
    const podInfo = state.registry.lookup('', 'v1', 'pods')!;
    const containers = (
      state.store.get(podInfo, namespace, pod)?.obj.spec as { containers?: { name: string }[] } | undefined
    )?.containers;
    return containers?.[0]?.name;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
    this.address = this.http.address() as AddressInfo;
  }

  get port(): number {
    return this.address!.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  clearRequests(): void {
    this.recorded.length = 0;
  }

  countRequests(filter: RequestFilter = {}): number {
    return this.recorded.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (filter.path !== undefined) {
        const hit = typeof filter.path === 'string' ? r.path.includes(filter.path) : filter.path.test(r.path);
        if (!hit) return false;
      }
      if (filter.dryRun !== undefined && (r.query.dryRun !== undefined) !== filter.dryRun) return false;
      return true;
    }).length;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  kubeconfigYaml(opts: KubeconfigOptions = {}): string {
    return kubeconfigYaml(this.url, opts.token ?? this.localToken, opts.context ?? 'standin-local');
  }

  async writeKubeconfig(path: string, opts: KubeconfigOptions = {}): Promise<void> {
    await writeFile(path, this.kubeconfigYaml(opts), { mode: 0o600 });
  }

  downstreamKubeconfigYaml(clusterId: string): string {
    return kubeconfigYaml(`${this.url}/k8s/clusters/${clusterId}`, this.rancherToken, clusterId);
  }

  private state(cluster: string): ClusterState {
    const state = this.clusters.get(cluster);
    if (!state)
      throw new Error(
        `the scenario has no cluster "${cluster}" (has: ${[...this.clusters.keys()].join(', ')})`,
      );
    return state;
  }

  private resolve(cluster: string, apiPath: string) {
    const state = this.state(cluster);
    const route = parseApiPath(apiPath);
    if (route.type !== 'resource') throw new Error(`not a resource path: ${apiPath}`);
    const info = state.registry.lookup(route.group, route.version, route.resource);
    if (!info) throw new Error(`unknown resource in ${apiPath}`);
    return { state, route, info };
  }

  get(cluster: string, apiPath: string): K8sObject | undefined {
    const { state, route, info } = this.resolve(cluster, apiPath);
    const entry = route.name ? state.store.get(info, route.namespace, route.name) : undefined;
    return entry ? structuredClone(entry.obj) : undefined;
  }

  list(cluster: string, apiPath: string): K8sObject[] {
    const { state, route, info } = this.resolve(cluster, apiPath);
    return state.store.list(info, route.namespace).map((e) => structuredClone(e.obj));
  }

  create(cluster: string, obj: K8sObject): K8sObject {
    const state = this.state(cluster);
    const info = state.registry.forObject(obj.apiVersion, obj.kind, obj.metadata.namespace !== undefined);
    return structuredClone(state.store.create(info, obj).obj);
  }

  put(cluster: string, obj: K8sObject): K8sObject {
    const state = this.state(cluster);
    const info = state.registry.forObject(obj.apiVersion, obj.kind, obj.metadata.namespace !== undefined);
    const exists = state.store.get(info, obj.metadata.namespace ?? null, obj.metadata.name);
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    const entry = exists
      ? state.store.update(info, { ...obj, metadata })
      : state.store.create(info, { ...obj, metadata });
    return structuredClone(entry.obj);
  }

  delete(cluster: string, apiPath: string): boolean {
    const { state, route, info } = this.resolve(cluster, apiPath);
    if (!route.name || !state.store.get(info, route.namespace, route.name)) return false;
    state.store.delete(info, route.namespace, route.name);
    return true;
  }

  appendPodLog(
    cluster: string,
    namespace: string,
    pod: string,
    container: string,
    lines: (string | { time: string; line: string })[],
  ): void {
    this.state(cluster);
    const now = Date.now();
    this.logs.append(
      cluster,
      namespace,
      pod,
      container,
      lines.map((l) => toLogLine(l, now)),
    );
  }

  podLog(cluster: string, namespace: string, pod: string, container: string): string[] {
    return this.logs.lines(cluster, namespace, pod, container).map((l) => l.text);
  }

  resourceVersion(cluster: string): number {
    return this.state(cluster).store.resourceVersion;
  }

  compact(cluster: string): void {
    this.state(cluster).store.compact();
  }

  endWatches(): number {
    const open = [...this.watches];
    for (const stop of open) stop();
    return open.length;
  }

  restartApiserver(): void {
    this.endWatches();
    this.counters.restart(this.loop.nodeWrites);
  }

  async close(): Promise<void> {
    this.loop.stop();
    for (const state of this.clusters.values()) stopKubelet(state);
    for (const stop of [...this.longRunning]) stop();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** A slow answer; closing the stand-in ends the wait, so that no timer outlives it. */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer);
        this.longRunning.delete(stop);
        resolve();
      };
      const timer = setTimeout(stop, ms);
      this.longRunning.add(stop);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    const record: RecordedRequest = {
      cluster: null,
      method,
      path: url.pathname,
      apiPath: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body: body.toString('utf8'),
      status: 0,
      user: null,
      at: new Date(),
    };
    this.recorded.push(record);
    // The status is known when the head goes out: a client in this process can read the answer
    // (and a test the record) before 'finish' fires. Implicit heads go through writeHead too.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      record.status = args[0] as number;
      return writeHead(...args);
    }) as typeof res.writeHead;
    res.on('finish', () => {
      record.status = res.statusCode;
      this.counters.count(record);
    });
    try {
      if (this.latencyMs > 0) await this.delay(this.latencyMs);
      const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
      const fault = this.faults.take(method, url.pathname, url.searchParams.has('dryRun'), watching);
      if (fault?.latencyMs) await this.delay(fault.latencyMs);
      if (fault?.reset) {
        req.socket.destroy();
        return;
      }
      if (fault?.status) {
        const err = errors.byCode(fault.status, fault.message, fault.reason);
        if (fault.retryAfterSeconds !== undefined) {
          err.headers['Retry-After'] = String(fault.retryAfterSeconds);
          err.status.details = { ...err.status.details, retryAfterSeconds: fault.retryAfterSeconds };
        }
        throw err;
      }
      await this.route(req, res, url, method, body, record);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof ApiError) sendError(res, err);
      else sendError(res, errors.internal((err as Error).message));
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    body: Buffer,
    record: RecordedRequest,
  ): Promise<void> {
    let clusterName = 'local';
    let apiPath = url.pathname;
    let tokens = this.localTokens;
    const proxied = PROXY_PREFIX.exec(url.pathname);
    if (proxied) {
      clusterName = decodeURIComponent(proxied[1]!);
      apiPath = proxied[2] ?? '/';
      tokens = this.rancherTokens;
    }
    record.apiPath = apiPath;
    const route = parseApiPath(apiPath);
    if (route.type === 'version') {
      sendJson(res, 200, this.versionInfo());
      return;
    }
    if (route.type === 'health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const user = req.headers.authorization === undefined ? this.anonymousUser : bearer(req, tokens);
    if (!user) throw errors.unauthorized();
    record.user = user;
    if (!proxied && apiPath === '/metrics') {
      if (
        (this.rbac?.governs(user) && !this.rbac.allowsPath(user, 'get', '/metrics')) ||
        this.faults.isForbidden({
          cluster: 'local',
          user,
          verb: 'get',
          group: '',
          resource: '/metrics',
          namespace: null,
        })
      )
        throw errors.byCode(403, `forbidden: User "${user}" cannot get path "/metrics"`, 'Forbidden');
      sendMetrics(res, this.counters.text(this.loop.nodeWrites));
      return;
    }
    if (proxied) {
      if (!this.clusters.has(clusterName)) {
        // Rancher's router answers an unknown cluster id with its own 404.
        sendJson(res, 404, {
          type: 'error',
          status: '404',
          code: 'NotFound',
          message: `clusters.management.cattle.io "${clusterName}" not found`,
        });
        return;
      }
      if (this.unreachable.has(clusterName)) {
        // norman's httperror.ClusterUnavailable, which Rancher answers while the cluster agent is not connected.
        sendJson(res, 503, {
          type: 'error',
          status: '503',
          code: 'ClusterUnavailable',
          message: 'cluster agent disconnected',
        });
        return;
      }
    }
    const rbac = !proxied && this.rbac?.governs(user) ? this.rbac : null;
    if (rbac && route.type !== 'resource' && !rbac.allowsPath(user, method.toLowerCase(), apiPath))
      throw forbiddenPath(user, method.toLowerCase(), apiPath);
    const state = this.clusters.get(clusterName)!;
    record.cluster = clusterName;
    const accept = req.headers.accept;
    switch (route.type) {
      case 'api-versions':
        if (wantsAggregatedV2(accept))
          sendJson(res, 200, aggregatedDiscovery(state.registry, true), {}, AGGREGATED_V2_CONTENT_TYPE);
        else sendJson(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
        return;
      case 'api-groups':
        if (wantsAggregatedV2(accept))
          sendJson(res, 200, aggregatedDiscovery(state.registry, false), {}, AGGREGATED_V2_CONTENT_TYPE);
        else sendJson(res, 200, apiGroupList(state.registry));
        return;
      case 'group': {
        const doc = apiGroup(state.registry, route.group);
        if (!doc) throw errors.pathNotFound();
        sendJson(res, 200, doc);
        return;
      }
      case 'resource-list': {
        const doc = apiResourceList(state.registry, route.group, route.version);
        if (!doc) throw errors.pathNotFound();
        sendJson(res, 200, doc);
        return;
      }
      case 'unknown':
        throw errors.pathNotFound();
      case 'resource':
        break;
    }
    const info = state.registry.lookup(route.group, route.version, route.resource);
    if (!info) throw errors.pathNotFound();
    if (route.namespace && !info.namespaced) throw errors.pathNotFound();
    const verb = verbOf(method, route.name !== null, url.searchParams);
    const resource = route.subresource ? `${info.resource}/${route.subresource}` : info.resource;
    const namespace = info.namespaced ? route.namespace : null;
    if (
      this.faults.isForbidden({ cluster: clusterName, user, verb, group: info.group, resource, namespace }) ||
      rbac?.allows({
        user,
        verb,
        group: info.group,
        resource: info.resource,
        subresource: route.subresource,
        namespace,
        name: route.name,
      }) === false
    ) {
      throw errors.forbidden(user, verb, info, route.subresource, namespace, route.name);
    }
    await handleResource({
      req,
      res,
      cluster: state,
      logs: this.logs,
      info,
      namespace,
      name: route.name,
      subresource: route.subresource,
      query: url.searchParams,
      body,
      now: Date.now(),
      track: (stop, kind) => {
        this.longRunning.add(stop);
        if (kind === 'watch') this.watches.add(stop);
        return () => {
          this.longRunning.delete(stop);
          this.watches.delete(stop);
        };
      },
    });
  }

  private versionInfo(): object {
    const { major, minor } = this.scenario.version;
    return {
      major,
      minor,
      gitVersion: `v${major}.${minor}.4`,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2025-01-01T00:00:00Z',
      goVersion: 'go1.23.6',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }
}

function bearer(req: IncomingMessage, tokens: Map<string, string>): string | null {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Bearer ')) return null;
  return tokens.get(header.slice('Bearer '.length).trim()) ?? null;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
