/**
 * Seeded generator of a verbose (-v=5) kube-apiserver log of a Rancher local cluster, each request
 * leaving its "satisfied by" lines and its httplog access line, as a real one at -v=5 does: background
 * traffic over many objects (core, built-in and Rancher resources; leases, events, configmaps,
 * healthy m- node objects ...), other klog lines (traces, watches, webhook errors ...), and hot
 * `nodes.management.cattle.io` objects rewritten with PUT many times a second, as machine-h46dc of
 * c-dql6k was in the incident. The same options and seed give byte-identical output (own PRNG, no clock).
 *
 * The committed sample was made, and is remade byte for byte, with:
 *   npm run sample -- --seed 20220507 --size 1290KiB --start 2022-05-07T08:21:00.2Z --hot-rate 2 --rate 1 --clusters 4 --no-httplog --out samples/kube-apiserver-rke1.log
 * (three minutes of log, machine-h46dc written twice a second, satisfied-by lines only;
 * test/sample.test.ts checks it).
 *
 * Usage: npm run sample -- [--format docker-json|cri|klog] [--size 1GiB] [--seed N]
 *          [--start 2022-05-07T08:00:00Z] [--hot c-dql6k/machine-h46dc@10,...] [--rate N]
 *          [--clusters N] [--no-httplog] [--out FILE]
 *
 * Lines are written into large buffers (template bytes copied, time digits written in place), so
 * that a GiB takes seconds. Not imported by src/ (bench/ uses generateApiserverLog).
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from './prng.js';

export type GenFormat = 'docker-json' | 'cri' | 'klog';

export interface HotSpec {
  clusterId: string;
  nodeId: string;
  /** PUTs per second. */
  rate: number;
}

export interface GenOptions {
  format: GenFormat;
  /** Stop after the request that reaches this many bytes. */
  sizeBytes: number;
  seed: number;
  /** Epoch ms of the first line. */
  startMs: number;
  hot: HotSpec[];
  /** Background requests per second (besides periodic ones: leases, node objects, hot objects). */
  rate: number;
  /** Downstream clusters (c-xxxxx namespaces), each with healthy m- node objects. */
  clusters: number;
  /**
   * Also write the httplog access line of each request, as -v=5 does (the scanner then counts that
   * signal); off, only the satisfied-by lines, as a log at -v=4 with the handler lines raised would be.
   */
  httplog: boolean;
}

export interface GenStats {
  bytes: number;
  lines: number;
  requests: number;
  /** PUT requests per hot object path (/apis/management.cattle.io/v3/namespaces/<c>/nodes/<n>). */
  hotWrites: Record<string, number>;
  firstMs: number;
  lastMs: number;
}

export const DEFAULT_GEN_OPTIONS: GenOptions = {
  format: 'docker-json',
  sizeBytes: 1 << 20,
  seed: 1,
  startMs: Date.UTC(2022, 4, 7, 8, 0, 0),
  hot: [{ clusterId: 'c-dql6k', nodeId: 'machine-h46dc', rate: 10 }],
  rate: 120,
  clusters: 12,
  httplog: true,
};

// ---------------------------------------------------------------------------------------------
// The cluster's objects and how they are requested

type Rng = () => number;
type Kind = 'crd' | 'builtin' | 'core' | 'nonresource';
type Verb = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

interface Request {
  verb: Verb;
  path: string;
  /** httplog's URI: the path and a query string (the satisfied-by lines carry the path only). */
  query: string;
  kind: Kind;
  userAgent: string;
  /** Request template: its encoded satisfied-by lines, built once. */
  template: Template | null;
}

interface Template {
  lines: { severity: number; body: Buffer }[];
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const randomId = (rng: Rng, n: number, alphabet = ALNUM): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
};
const uuid = (rng: Rng): string =>
  `${randomId(rng, 8, HEX)}-${randomId(rng, 4, HEX)}-4${randomId(rng, 3, HEX)}-a${randomId(rng, 3, HEX)}-${randomId(rng, 12, HEX)}`;

const RANCHER_UA = 'rancher/v2.6.3 (linux/amd64) kubernetes/$Format';
const KCM_UA = 'kube-controller-manager/v1.21.5 (linux/amd64) kubernetes/aea7bba/leader-election';
const SCHED_UA = 'kube-scheduler/v1.21.5 (linux/amd64) kubernetes/aea7bba/leader-election';
const KUBELET_UA = 'kubelet/v1.21.5 (linux/amd64) kubernetes/aea7bba';
const FLEET_UA = 'fleetcontroller/v0.0.0 (linux/amd64) kubernetes/$Format';

interface ObjectPool {
  group: string;
  version: string;
  resource: string;
  kind: Kind;
  /** [namespace or '', name] of each object. */
  objects: [string, string][];
  /** Relative weights of GET one, LIST, WATCH, PUT, PATCH, POST, DELETE. */
  verbs: [number, number, number, number, number, number, number];
  weight: number;
  userAgent: string;
}

function collectionPath(pool: ObjectPool, namespace: string): string {
  const base = pool.group ? `/apis/${pool.group}/${pool.version}` : `/api/${pool.version}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${pool.resource}`;
}

interface Model {
  pools: ObjectPool[];
  poolWeights: number[];
  periodic: Periodic[];
  localNodes: string[];
  clusterIds: string[];
  nodeObjects: [string, string][];
}

interface Periodic {
  /** µs since the start of the log of the next request. */
  next: number;
  periodUs: number;
  /** Relative jitter of each period. */
  jitter: number;
  requests: Request[];
  hotKey: string | null;
}

function buildModel(rng: Rng, options: GenOptions): Model {
  const clusterIds: string[] = [];
  for (const hot of options.hot) if (!clusterIds.includes(hot.clusterId)) clusterIds.push(hot.clusterId);
  while (clusterIds.length < options.clusters) {
    const id = `c-${randomId(rng, 5)}`;
    if (!clusterIds.includes(id)) clusterIds.push(id);
  }
  const localNodes = ['rancher-1', 'rancher-2', 'rancher-3'];
  const nodeObjects: [string, string][] = [];
  const projects: [string, string][] = [];
  for (const c of clusterIds) {
    const n = 3 + Math.floor(rng() * 6);
    for (let i = 0; i < n; i++) nodeObjects.push([c, `m-${randomId(rng, 5)}`]);
    projects.push([c, `p-${randomId(rng, 5)}`], [c, `p-${randomId(rng, 5)}`]);
  }
  const namespaces = [
    'kube-system',
    'cattle-system',
    'cattle-global-data',
    'fleet-default',
    'fleet-local',
    'cattle-fleet-system',
    'cattle-fleet-local-system',
    'cattle-impersonation-system',
    'local',
    ...clusterIds,
    ...projects.map(([, p]) => p),
  ];
  const named = (count: number, make: () => [string, string]): [string, string][] => {
    const out: [string, string][] = [];
    for (let i = 0; i < count; i++) out.push(make());
    return out;
  };
  const inNs =
    (ns: readonly string[], prefix: string, len = 5) =>
    (): [string, string] => [pick(rng, ns), `${prefix}${randomId(rng, len)}`];
  const pools: ObjectPool[] = [
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'nodes',
      kind: 'crd',
      objects: nodeObjects,
      verbs: [40, 8, 4, 6, 1, 0, 0],
      weight: 12,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'clusters',
      kind: 'crd',
      objects: clusterIds.map((c): [string, string] => ['', c]),
      verbs: [50, 6, 4, 4, 1, 0, 0],
      weight: 8,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'clusterregistrationtokens',
      kind: 'crd',
      objects: clusterIds.map((c): [string, string] => [c, 'default-token']),
      verbs: [30, 5, 2, 1, 0, 0, 0],
      weight: 2,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'projects',
      kind: 'crd',
      objects: projects,
      verbs: [30, 6, 2, 2, 0, 0, 0],
      weight: 3,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'settings',
      kind: 'crd',
      objects: [
        'server-url',
        'cacerts',
        'install-uuid',
        'cluster-defaults',
        'agent-image',
        'ui-index',
        'telemetry-opt',
        'first-login',
        'k8s-version',
        'rke-metadata-config',
      ].map((s): [string, string] => ['', s]),
      verbs: [60, 4, 2, 1, 0, 0, 0],
      weight: 4,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'tokens',
      kind: 'crd',
      objects: named(40, () => ['', `token-${randomId(rng, 5)}`]),
      verbs: [40, 2, 1, 3, 0, 1, 1],
      weight: 3,
      userAgent: RANCHER_UA,
    },
    {
      group: 'management.cattle.io',
      version: 'v3',
      resource: 'users',
      kind: 'crd',
      objects: named(12, () => ['', `u-${randomId(rng, 5)}`]),
      verbs: [40, 3, 1, 1, 0, 0, 0],
      weight: 1,
      userAgent: RANCHER_UA,
    },
    {
      group: 'fleet.cattle.io',
      version: 'v1alpha1',
      resource: 'clusters',
      kind: 'crd',
      objects: clusterIds.map((c): [string, string] => ['fleet-default', c]),
      verbs: [30, 4, 2, 3, 1, 0, 0],
      weight: 3,
      userAgent: FLEET_UA,
    },
    {
      group: 'fleet.cattle.io',
      version: 'v1alpha1',
      resource: 'bundles',
      kind: 'crd',
      objects: named(30, () => [
        pick(rng, ['fleet-default', 'fleet-local']),
        `fleet-agent-${randomId(rng, 5)}`,
      ]),
      verbs: [30, 4, 2, 2, 0, 0, 0],
      weight: 2,
      userAgent: FLEET_UA,
    },
    {
      group: 'catalog.cattle.io',
      version: 'v1',
      resource: 'apps',
      kind: 'crd',
      objects: named(
        10,
        inNs(['cattle-system', 'cattle-fleet-system', 'cattle-monitoring-system'], 'rancher-'),
      ),
      verbs: [30, 6, 2, 1, 0, 0, 0],
      weight: 1,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'configmaps',
      kind: 'core',
      objects: [
        ['kube-system', 'extension-apiserver-authentication'],
        ['kube-system', 'kube-root-ca.crt'],
        ['cattle-system', 'admincreated'],
        ['cattle-system', 'cattle-controllers'],
        ['kube-system', 'cattle-controllers'],
        ...named(80, inNs(namespaces, 'cm-')),
      ],
      verbs: [50, 8, 3, 4, 1, 1, 0],
      weight: 10,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'secrets',
      kind: 'core',
      objects: [
        ['cattle-system', 'tls-rancher'],
        ['cattle-system', 'serving-cert'],
        ...named(120, inNs(namespaces, 'secret-')),
      ],
      verbs: [60, 6, 3, 2, 0, 1, 0],
      weight: 12,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'pods',
      kind: 'core',
      objects: named(60, () => [
        pick(rng, ['kube-system', 'cattle-system', 'cattle-fleet-system', 'ingress-nginx']),
        `${pick(rng, ['rancher', 'coredns', 'nginx-ingress-controller', 'fleet-agent', 'rancher-webhook'])}-${randomId(rng, 10, 'bcdfghjklmnpqrstvwxz2456789')}-${randomId(rng, 5, 'bcdfghjklmnpqrstvwxz2456789')}`,
      ]),
      verbs: [30, 10, 6, 1, 4, 1, 1],
      weight: 8,
      userAgent: KUBELET_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'serviceaccounts',
      kind: 'core',
      objects: named(40, inNs(namespaces, 'sa-')),
      verbs: [60, 6, 2, 1, 0, 0, 0],
      weight: 4,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'namespaces',
      kind: 'core',
      objects: namespaces.map((n): [string, string] => ['', n]),
      verbs: [60, 6, 2, 2, 0, 0, 0],
      weight: 5,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'events',
      kind: 'core',
      objects: named(60, inNs(namespaces, 'event.')),
      verbs: [2, 2, 1, 0, 3, 30, 1],
      weight: 8,
      userAgent: RANCHER_UA,
    },
    {
      group: '',
      version: 'v1',
      resource: 'nodes',
      kind: 'core',
      objects: localNodes.map((n): [string, string] => ['', n]),
      verbs: [40, 6, 3, 0, 0, 0, 0],
      weight: 3,
      userAgent: KUBELET_UA,
    },
    {
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      kind: 'builtin',
      objects: named(20, inNs(['kube-system', 'cattle-system', 'cattle-fleet-system'], 'deploy-')),
      verbs: [30, 8, 4, 2, 1, 0, 0],
      weight: 3,
      userAgent: KCM_UA,
    },
    {
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource: 'rolebindings',
      kind: 'builtin',
      objects: named(80, inNs(namespaces, 'rb-')),
      verbs: [40, 8, 2, 3, 0, 1, 1],
      weight: 6,
      userAgent: RANCHER_UA,
    },
    {
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource: 'clusterroles',
      kind: 'builtin',
      objects: named(40, () => ['', `cr-${randomId(rng, 6)}`]),
      verbs: [40, 6, 2, 2, 0, 0, 0],
      weight: 3,
      userAgent: RANCHER_UA,
    },
    {
      group: 'discovery.k8s.io',
      version: 'v1',
      resource: 'endpointslices',
      kind: 'builtin',
      objects: named(20, inNs(['kube-system', 'cattle-system', 'default'], 'eps-')),
      verbs: [10, 4, 3, 4, 0, 0, 0],
      weight: 2,
      userAgent: KCM_UA,
    },
    {
      group: 'authorization.k8s.io',
      version: 'v1',
      resource: 'subjectaccessreviews',
      kind: 'builtin',
      objects: [['', '']],
      verbs: [0, 0, 0, 0, 0, 1, 0],
      weight: 0.25,
      userAgent: RANCHER_UA,
    },
    {
      group: 'authentication.k8s.io',
      version: 'v1',
      resource: 'tokenreviews',
      kind: 'builtin',
      objects: [['', '']],
      verbs: [0, 0, 0, 0, 0, 1, 0],
      weight: 0.15,
      userAgent: RANCHER_UA,
    },
  ];
  const poolWeights: number[] = [];
  let sum = 0;
  for (const p of pools) poolWeights.push((sum += p.weight));

  const req = (verb: Verb, path: string, kind: Kind, userAgent: string, query = ''): Request => ({
    verb,
    path,
    query,
    kind,
    userAgent,
    template: null,
  });
  const periodic: Periodic[] = [];
  const every = (seconds: number, jitter: number, requests: Request[], hotKey: string | null = null) =>
    periodic.push({
      next: Math.floor(rng() * seconds * 1e6),
      periodUs: seconds * 1e6,
      jitter,
      requests,
      hotKey,
    });
  // Leader election every 2 s (30 writes a minute: the busiest healthy writers).
  for (const [name, ua] of [
    ['kube-controller-manager', KCM_UA],
    ['kube-scheduler', SCHED_UA],
    ['cattle-controllers', RANCHER_UA],
  ] as const) {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`;
    every(2, 0.05, [req('GET', path, 'builtin', ua), req('PUT', path, 'builtin', ua)]);
  }
  for (const node of localNodes) {
    every(10, 0.05, [
      req(
        'PUT',
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`,
        'builtin',
        KUBELET_UA,
      ),
    ]);
    every(60, 0.1, [req('PATCH', `/api/v1/nodes/${node}/status`, 'core', KUBELET_UA, '?timeout=10s')]);
  }
  // Healthy node objects: Rancher updates each every minute or three.
  for (const [c, n] of nodeObjects) {
    const path = `/apis/management.cattle.io/v3/namespaces/${c}/nodes/${n}`;
    every(60 + rng() * 120, 0.2, [req('PUT', path, 'crd', RANCHER_UA)]);
  }
  // Health checks.
  for (const probe of ['/healthz', '/readyz', '/livez']) {
    every(5, 0.1, [req('GET', probe, 'nonresource', KUBELET_UA)]);
  }
  for (const hot of options.hot) {
    const path = `/apis/management.cattle.io/v3/namespaces/${hot.clusterId}/nodes/${hot.nodeId}`;
    every(1 / hot.rate, 0.6, [req('PUT', path, 'crd', RANCHER_UA)], path);
  }
  return { pools, poolWeights, periodic, localNodes, clusterIds, nodeObjects };
}

const VERB_CHOICES = ['GET', 'LIST', 'WATCH', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;

function randomRequest(rng: Rng, model: Model, cache: Map<string, Request>): Request {
  const total = model.poolWeights[model.poolWeights.length - 1]!;
  const w = rng() * total;
  let i = 0;
  while (model.poolWeights[i]! <= w) i++;
  const pool = model.pools[i]!;
  const vsum = pool.verbs.reduce((a, b) => a + b, 0);
  let v = rng() * vsum;
  let choice = 0;
  while (v >= pool.verbs[choice]!) v -= pool.verbs[choice++]!;
  const what = VERB_CHOICES[choice]!;
  const [namespace, name] = pick(rng, pool.objects);
  let verb: Verb;
  let path: string;
  let query = '';
  switch (what) {
    case 'GET':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
      verb = what;
      path = name ? `${collectionPath(pool, namespace)}/${name}` : collectionPath(pool, namespace);
      if (what === 'PATCH' && pool.resource === 'pods') path += '/status';
      break;
    case 'LIST':
      verb = 'GET';
      path = collectionPath(pool, rng() < 0.5 ? namespace : '');
      query = '?limit=500&resourceVersion=0';
      break;
    case 'WATCH':
      verb = 'GET';
      path = collectionPath(pool, rng() < 0.3 ? namespace : '');
      query = `?allowWatchBookmarks=true&resourceVersion=${10_000_000 + Math.floor(rng() * 9_000_000)}&timeout=${5 + Math.floor(rng() * 4)}m${Math.floor(rng() * 60)}s&timeoutSeconds=${300 + Math.floor(rng() * 240)}&watch=true`;
      break;
    case 'POST':
      verb = 'POST';
      path = collectionPath(pool, namespace);
      break;
  }
  // Templates are cached per verb and path; the query only shows in the optional httplog line.
  const cacheKey = `${verb} ${path}`;
  let cached = cache.get(cacheKey);
  if (cached === undefined) {
    cached = { verb, path, query: '', kind: pool.kind, userAgent: pool.userAgent, template: null };
    cache.set(cacheKey, cached);
  }
  return query ? { ...cached, query } : cached;
}

const NONRESOURCE = ['/api', '/apis', '/version', '/openapi/v2', '/apis/management.cattle.io/v3'];

// ---------------------------------------------------------------------------------------------
// Line texts (klog messages after the `file:line] `), and their encoding per format

const SEV_I = 0x49;
const SEV_W = 0x57;
const SEV_E = 0x45;

function aggregatorPrefix(path: string): string {
  const m = /^(\/apis\/[^/]+\/[^/]+\/|\/api\/)/.exec(path);
  return m ? m[1]! : '/';
}

/** The satisfied-by lines one request leaves, in the order the handlers run. */
function satisfiedByLines(r: Request): string[] {
  const p = JSON.stringify(r.path);
  const out: string[] = [`handler.go:153] kube-aggregator: ${r.verb} ${p} satisfied by nonGoRestful`];
  if (r.kind === 'nonresource') {
    out.push(`pathrecorder.go:241] kube-aggregator: ${p} satisfied by exact match`);
    return out;
  }
  out.push(`pathrecorder.go:247] kube-aggregator: ${p} satisfied by prefix ${aggregatorPrefix(r.path)}`);
  if (r.kind === 'crd') {
    for (const server of ['kube-apiserver', 'apiextensions-apiserver']) {
      out.push(`handler.go:153] ${server}: ${r.verb} ${p} satisfied by nonGoRestful`);
      out.push(`pathrecorder.go:247] ${server}: ${p} satisfied by prefix /apis/`);
    }
  } else {
    const ws = r.kind === 'core' ? '/api/v1' : aggregatorPrefix(r.path).slice(0, -1);
    out.push(`handler.go:143] kube-apiserver: ${r.verb} ${p} satisfied by gorestful with webservice ${ws}`);
  }
  return out;
}

const EXTRA_FILES = [
  'get.go:260',
  'trace.go:205',
  'cacher.go:1200',
  'dispatcher.go:195',
  'status.go:71',
  'controller.go:611',
  'watcher.go:229',
  'store.go:1428',
  'clientconn.go:948',
  'writers.go:117',
];

interface Noise {
  severity: number;
  /** Klog message, `file:line] ...`; null for a continuation line that has no klog header. */
  lines: (string | null)[];
  texts: string[];
}

/** A line that is not a request line, as the apiserver writes many of at -v=5. */
function noise(rng: Rng, model: Model, ms: number, hotPaths: string[]): Noise {
  const r = rng();
  const rv = 10_000_000 + Math.floor(rng() * 9_000_000);
  if (r < 0.3) {
    const pool = pick(rng, model.pools);
    return {
      severity: SEV_I,
      lines: [
        `get.go:260] "Starting watch" path=${JSON.stringify(collectionPath(pool, ''))} resourceVersion="${rv}" labels="" fields="" timeout="${5 + Math.floor(rng() * 4)}m${Math.floor(rng() * 60)}s"`,
      ],
      texts: [],
    };
  }
  if (r < 0.45) {
    // A slow update: a trace whose follow-up lines have no klog header of their own.
    const id = Math.floor(rng() * 1e9);
    const url =
      hotPaths.length && rng() < 0.7
        ? pick(rng, hotPaths)
        : `/api/v1/namespaces/cattle-system/configmaps/cm-${randomId(rng, 5)}`;
    const total = 500 + Math.floor(rng() * 1500);
    const d = new Date(ms);
    const hms = d.toISOString().slice(11, 23);
    const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
      d.getUTCMonth()
    ];
    const day = `${String(d.getUTCDate()).padStart(2, '0')}-${mon}-${d.getUTCFullYear()}`;
    return {
      severity: SEV_I,
      lines: [
        `trace.go:205] Trace[${id}]: "Update" url:${url},user-agent:${RANCHER_UA},audit-id:${uuid(rng)},client:10.42.0.${10 + Math.floor(rng() * 40)},accept:application/json,protocol:HTTP/2.0 (${day} ${hms}) (total time: ${total}ms):`,
        null,
        null,
      ],
      texts: [
        `Trace[${id}]: ---"Object stored in database" ${total - 1}ms (${hms})`,
        `Trace[${id}]: [${total}.${randomId(rng, 6, '0123456789')}ms] [${total}.${randomId(rng, 6, '0123456789')}ms] END`,
      ],
    };
  }
  if (r < 0.6) {
    return {
      severity: SEV_I,
      lines: [
        `cacher.go:1200] cacher (*unstructured.Unstructured): ${1 + Math.floor(rng() * 9)} objects queued in incoming channel.`,
      ],
      texts: [],
    };
  }
  if (r < 0.68) {
    return {
      severity: SEV_W,
      lines: [
        `dispatcher.go:195] Failed calling webhook, failing closed rancher.cattle.io: failed calling webhook "rancher.cattle.io": Post "https://rancher-webhook.cattle-system.svc:443/v1/webhook/validation?timeout=10s": context deadline exceeded`,
      ],
      texts: [],
    };
  }
  if (r < 0.76) {
    return {
      severity: SEV_E,
      lines: [
        `status.go:71] apiserver received an error that is not an metav1.Status: &errors.errorString{s:"context canceled"}: context canceled`,
      ],
      texts: [],
    };
  }
  if (r < 0.84) {
    return {
      severity: SEV_W,
      lines: [`watcher.go:229] watch chan error: etcdserver: mvcc: required revision has been compacted`],
      texts: [],
    };
  }
  if (r < 0.9) {
    return {
      severity: SEV_I,
      lines: [
        `controller.go:611] quota admission added evaluator for: ${pick(rng, ['events.events.k8s.io', 'leases.coordination.k8s.io', 'nodes.management.cattle.io', 'endpoints'])}`,
      ],
      texts: [],
    };
  }
  if (r < 0.95) {
    return {
      severity: SEV_I,
      lines: [`clientconn.go:948] ClientConn switching balancer to "pick_first"`],
      texts: [],
    };
  }
  return {
    severity: SEV_E,
    lines: [
      `writers.go:117] apiserver was unable to write a JSON response: http2: stream closed <nil> ${pick(rng, EXTRA_FILES)}`,
    ],
    texts: [],
  };
}

/** Go's encoding/json as Docker's json-file driver uses it: HTML characters escaped too. */
function jsonEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '<':
        out += '\\u003c';
        break;
      case '>':
        out += '\\u003e';
        break;
      case '&':
        out += '\\u0026';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing: big buffers, time digits written in place

const CHUNK_BYTES = 8 << 20;

class ChunkWriter {
  buf = Buffer.allocUnsafe(CHUNK_BYTES + (1 << 20));
  pos = 0;
  /** Second of the cached date prefixes. */
  private klogSecond = NaN;
  private readonly klogPrefix = Buffer.alloc(14); // mmdd hh:mm:ss.
  private rfcSecond = NaN;
  private readonly rfcPrefix = Buffer.alloc(19); // yyyy-mm-ddThh:mm:ss

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES + (1 << 20));
    this.pos = 0;
    return out;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }

  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private digits(value: number, width: number): void {
    const buf = this.buf;
    for (let i = width - 1; i >= 0; i--) {
      buf[this.pos + i] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    }
    this.pos += width;
  }

  /** `Lmmdd hh:mm:ss.uuuuuu       1 ` for a time in µs since the epoch. */
  klogHeader(severity: number, us: number): void {
    this.ensure(40);
    const second = Math.floor(us / 1e6);
    if (second !== this.klogSecond) {
      this.klogSecond = second;
      const iso = new Date(second * 1000).toISOString();
      this.klogPrefix.write(`${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 19)}.`, 0, 'latin1');
    }
    this.buf[this.pos++] = severity;
    this.pos += this.klogPrefix.copy(this.buf, this.pos);
    this.digits(us - second * 1e6, 6);
    this.pos += this.buf.write('       1 ', this.pos, 'latin1');
  }

  /** RFC3339Nano as Go writes it: trailing zeros of the fraction dropped. */
  rfc3339Nano(us: number, subNs: number): void {
    this.ensure(40);
    const second = Math.floor(us / 1e6);
    if (second !== this.rfcSecond) {
      this.rfcSecond = second;
      this.rfcPrefix.write(new Date(second * 1000).toISOString().slice(0, 19), 0, 'latin1');
    }
    this.pos += this.rfcPrefix.copy(this.buf, this.pos);
    let frac = (us - second * 1e6) * 1000 + subNs;
    if (frac > 0) {
      let width = 9;
      while (frac % 10 === 0) {
        frac /= 10;
        width--;
      }
      this.buf[this.pos++] = 0x2e;
      this.digits(frac, width);
    }
    this.buf[this.pos++] = 0x5a;
  }
}

const DOCKER_OPEN = Buffer.from('{"log":"', 'latin1');
const DOCKER_MID = Buffer.from('\\n","stream":"stderr","time":"', 'latin1');
const DOCKER_CLOSE = Buffer.from('"}\n', 'latin1');
const CRI_MID = Buffer.from(' stderr F ', 'latin1');
const NEWLINE = Buffer.from('\n', 'latin1');

class LineSink {
  lines = 0;
  /** Last klog time written, µs: lines never go back in time. */
  private lastUs = 0;
  private lastWrapperUs = 0;

  constructor(
    readonly out: ChunkWriter,
    readonly format: GenFormat,
    private readonly rng: Rng,
  ) {}

  encode(text: string): Buffer {
    return Buffer.from(this.format === 'docker-json' ? jsonEscape(text) : text, 'utf8');
  }

  /** One line at µs `us`; `body` encoded for the format; `severity` 0 for a headerless line. */
  line(us: number, severity: number, body: Buffer): number {
    if (us <= this.lastUs) us = this.lastUs + 1;
    this.lastUs = us;
    const out = this.out;
    // The container runtime stamps the line a little after klog did (µs, plus ns digits).
    const wrapperUs = Math.max(us + 40 + Math.floor(this.rng() * 400), this.lastWrapperUs + 1);
    this.lastWrapperUs = wrapperUs;
    const subNs = Math.floor(this.rng() * 1000);
    switch (this.format) {
      case 'docker-json':
        out.bytes(DOCKER_OPEN);
        if (severity) out.klogHeader(severity, us);
        out.bytes(body);
        out.bytes(DOCKER_MID);
        out.rfc3339Nano(wrapperUs, subNs);
        out.bytes(DOCKER_CLOSE);
        break;
      case 'cri':
        out.rfc3339Nano(wrapperUs, subNs);
        out.bytes(CRI_MID);
        if (severity) out.klogHeader(severity, us);
        out.bytes(body);
        out.bytes(NEWLINE);
        break;
      case 'klog':
        if (severity) out.klogHeader(severity, us);
        out.bytes(body);
        out.bytes(NEWLINE);
        break;
    }
    this.lines++;
    return us;
  }
}

function templateOf(sink: LineSink, r: Request): Template {
  if (r.template === null) {
    r.template = { lines: satisfiedByLines(r).map((t) => ({ severity: SEV_I, body: sink.encode(t) })) };
  }
  return r.template;
}

function httplogLine(rng: Rng, r: Request): string {
  const status = r.verb === 'POST' ? 201 : 200;
  const latency = (0.4 + rng() * 12).toFixed(3);
  return `httplog.go:132] "HTTP" verb=${JSON.stringify(r.verb)} URI=${JSON.stringify(r.path + r.query)} latency="${latency}ms" userAgent=${JSON.stringify(r.userAgent)} audit-ID="${uuid(rng)}" srcIP="10.42.0.${10 + Math.floor(rng() * 40)}:${30000 + Math.floor(rng() * 30000)}" resp=${status}`;
}

interface Event {
  us: number;
  request: Request | null;
  seq: number;
}

/**
 * Generates the log, handing each filled buffer to `write` (which may keep it). Deterministic:
 * the output depends on the options only.
 */
export async function generateApiserverLog(
  options: GenOptions,
  write: (chunk: Buffer) => Promise<void> | void,
): Promise<GenStats> {
  const rng = mulberry32(options.seed);
  const model = buildModel(rng, options);
  const out = new ChunkWriter();
  const sink = new LineSink(out, options.format, rng);
  const requestCache = new Map<string, Request>();
  const hotPaths = options.hot.map(
    (h) => `/apis/management.cattle.io/v3/namespaces/${h.clusterId}/nodes/${h.nodeId}`,
  );
  const hotWrites: Record<string, number> = {};
  for (const p of hotPaths) hotWrites[p] = 0;
  const startUs = Math.round(options.startMs) * 1000;
  let written = 0;
  let requests = 0;
  let lastUs = startUs;
  const nonresource = NONRESOURCE.map((path): Request => ({
    verb: 'GET',
    path,
    query: '',
    kind: 'nonresource',
    userAgent: RANCHER_UA,
    template: null,
  }));
  const noiseShare = 0.08;
  let done = false;
  for (let second = 0; !done; second++) {
    const secStart = second * 1e6;
    const secEnd = secStart + 1e6;
    const events: Event[] = [];
    let seq = 0;
    for (const p of model.periodic) {
      while (p.next < secEnd) {
        for (const r of p.requests) events.push({ us: p.next, request: r, seq: seq++ });
        p.next += Math.max(1, Math.round(p.periodUs * (1 + (rng() * 2 - 1) * p.jitter)));
      }
    }
    // Background: a rate that drifts from second to second, with a burst now and then.
    const burst = rng() < 0.02 ? 3 : 1;
    const n = Math.round(options.rate * (0.75 + rng() * 0.5) * burst);
    for (let i = 0; i < n; i++) {
      const r = rng() < 0.04 ? pick(rng, nonresource) : randomRequest(rng, model, requestCache);
      events.push({ us: secStart + Math.floor(rng() * 1e6), request: r, seq: seq++ });
    }
    const noiseCount = Math.round((events.length * noiseShare) / (1 - noiseShare) + rng() * 0.99);
    for (let i = 0; i < noiseCount; i++) {
      events.push({ us: secStart + Math.floor(rng() * 1e6), request: null, seq: seq++ });
    }
    events.sort((a, b) => a.us - b.us || a.seq - b.seq);
    for (const ev of events) {
      let us = startUs + ev.us;
      if (ev.request === null) {
        const item = noise(rng, model, us / 1000, hotPaths);
        let text = 0;
        for (const l of item.lines) {
          us =
            l === null
              ? sink.line(us + 1, 0, sink.encode(item.texts[text++]!))
              : sink.line(us, item.severity, sink.encode(l));
        }
      } else {
        const r = ev.request;
        for (const l of templateOf(sink, r).lines) us = sink.line(us + 17, l.severity, l.body);
        if (options.httplog)
          us = sink.line(us + 1500 + Math.floor(rng() * 3000), SEV_I, sink.encode(httplogLine(rng, r)));
        requests++;
        if (r.verb === 'PUT' && hotWrites[r.path] !== undefined) hotWrites[r.path]!++;
      }
      lastUs = us;
      if (written + out.pos >= options.sizeBytes) {
        done = true;
        break;
      }
    }
    if (done || out.pos >= CHUNK_BYTES) {
      written += out.pos;
      await write(out.take());
    }
  }
  return {
    bytes: written,
    lines: sink.lines,
    requests,
    hotWrites,
    firstMs: options.startMs,
    lastMs: Math.floor(lastUs / 1000),
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1 << 20,
  mib: 1 << 20,
  mb: 1e6,
  g: 1 << 30,
  gib: 1 << 30,
  gb: 1e9,
};

export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`bad size "${text}" (examples: 1GiB, 300KiB, 5000000)`);
  return Math.round(Number(m[1]) * unit);
}

/** `c-dql6k/machine-h46dc@10,c-x/machine-y` (rate in PUTs per second, default `defaultRate`). */
export function parseHot(text: string, defaultRate: number): HotSpec[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)(?:@(\d+(?:\.\d+)?))?$/.exec(item.trim());
    if (!m) throw new Error(`bad hot object "${item}" (example: c-dql6k/machine-h46dc@10)`);
    const rate = m[3] ? Number(m[3]) : defaultRate;
    if (!(rate > 0)) throw new Error(`bad rate in "${item}"`);
    return { clusterId: m[1]!, nodeId: m[2]!, rate };
  });
}

function number(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: "${text}"`);
  return n;
}

export const USAGE = `Usage: npm run sample -- [options]

Writes a seeded, verbose (-v=5) kube-apiserver log: background traffic plus hot node objects.
The same options give the same bytes.

  --format docker-json|cri|klog   line format (default docker-json, RKE1's)
  --size N[KiB|MiB|GiB]           stop after this many bytes (default 1MiB)
  --seed N                        PRNG seed (default ${DEFAULT_GEN_OPTIONS.seed})
  --start TIME                    time of the first line (RFC 3339)
  --hot c-id/node-id[@rate],...   hot node objects and their PUTs per second
  --hot-rate N                    PUTs per second of a hot object without @rate (default 10)
  --rate N                        background requests per second
  --clusters N                    downstream clusters with healthy m- nodes
  --no-httplog                    leave out the httplog access lines (written by default, as at -v=5)
  --out FILE, -o FILE             write here instead of standard output
`;

class HelpRequested extends Error {}

export function optionsFromArgs(args: string[]): { options: GenOptions; out: string | null } {
  const { values } = parseArgs({
    args,
    options: {
      format: { type: 'string', default: DEFAULT_GEN_OPTIONS.format },
      size: { type: 'string', default: '1MiB' },
      seed: { type: 'string', default: String(DEFAULT_GEN_OPTIONS.seed) },
      start: { type: 'string', default: new Date(DEFAULT_GEN_OPTIONS.startMs).toISOString() },
      hot: { type: 'string', default: 'c-dql6k/machine-h46dc' },
      'hot-rate': { type: 'string', default: '10' },
      rate: { type: 'string', default: String(DEFAULT_GEN_OPTIONS.rate) },
      clusters: { type: 'string', default: String(DEFAULT_GEN_OPTIONS.clusters) },
      'no-httplog': { type: 'boolean', default: false },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) throw new HelpRequested();
  const format = values.format as GenFormat;
  if (!['docker-json', 'cri', 'klog'].includes(format))
    throw new Error(`--format: one of docker-json, cri, klog`);
  const startMs = Date.parse(values.start);
  if (Number.isNaN(startMs)) throw new Error(`--start: not a time: "${values.start}"`);
  return {
    options: {
      format,
      sizeBytes: parseSize(values.size),
      seed: Math.floor(number(values.seed, 'seed')),
      startMs,
      hot: parseHot(values.hot, number(values['hot-rate'], 'hot-rate')),
      rate: number(values.rate, 'rate'),
      clusters: Math.max(1, Math.floor(number(values.clusters, 'clusters'))),
      httplog: !values['no-httplog'],
    },
    out: values.out ?? null,
  };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof optionsFromArgs>;
  try {
    parsed = optionsFromArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(USAGE);
      return;
    }
    console.error(`gen-apiserver-log: ${error instanceof Error ? error.message : String(error)}`);
    console.error('gen-apiserver-log --help lists the options');
    process.exit(2);
  }
  const { options, out } = parsed;
  const started = Date.now();
  let stats: GenStats;
  if (out === null) {
    stats = await generateApiserverLog(
      options,
      (chunk) =>
        new Promise<void>((resolve, reject) =>
          process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())),
        ),
    );
  } else {
    const handle = await open(out, 'w');
    try {
      stats = await generateApiserverLog(options, async (chunk) => {
        await handle.write(chunk);
      });
    } finally {
      await handle.close();
    }
  }
  const hot = Object.entries(stats.hotWrites)
    .map(([k, v]) => `${k}: ${v} PUT`)
    .join('; ');
  console.error(
    `gen-apiserver-log: ${stats.bytes} bytes, ${stats.lines} lines, ${stats.requests} requests, ` +
      `${new Date(stats.firstMs).toISOString()} .. ${new Date(stats.lastMs).toISOString()}, ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s${hot ? `; hot: ${hot}` : ''}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
