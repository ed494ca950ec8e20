/**
 * Scenario files: the YAML document a stand-in starts from (see docs/standin.md).
 * Validated with zod because scenario files are written by hand.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

const objectSchema = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
  })
  .loose();

const logLineSchema = z.union([z.string(), z.object({ time: z.string(), line: z.string() })]);

const podLogSchema = z.object({
  namespace: z.string(),
  pod: z.string(),
  /** The pod's first container when absent. */
  container: z.string().optional(),
  /** "RFC3339 text" strings (kubectl logs --timestamps form), or {time, line}. */
  lines: z.array(logLineSchema).default([]),
});

const forbidSchema = z.object({
  verb: z.string(),
  group: z.string().default(''),
  resource: z.string(),
  namespace: z.string().optional(),
  user: z.string().optional(),
  cluster: z.string().optional(),
});

const faultSchema = z.object({
  method: z.string().optional(),
  path: z.string().optional(),
  times: z.number().int().positive().optional(),
  status: z.number().int().optional(),
  retryAfterSeconds: z.number().optional(),
  reset: z.boolean().optional(),
  latencyMs: z.number().optional(),
  message: z.string().optional(),
  dryRun: z.boolean().optional(),
  watch: z.boolean().optional(),
  reason: z.string().optional(),
});

const tokenSchema = z.object({
  token: z.string().min(1),
  user: z.string().min(1),
  groups: z.array(z.string()).default([]),
});

const objectIdSchema = z.object({
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
});

const clusterSchema = z.object({
  /** Rancher's proxy answers 503 for this cluster, as when its agent is disconnected. */
  unreachable: z.boolean().default(false),
  /** With `extends`: objects of the base to leave out (by kind, namespace, name). */
  remove: z.array(objectIdSchema).default([]),
  objects: z.array(objectSchema).default([]),
  podLogs: z.array(podLogSchema).default([]),
});

export const apiserverLineKinds = ['satisfied-by', 'httplog'] as const;
export const apiserverLogFormats = ['klog', 'cri', 'docker-json'] as const;

const loopSchema = z.object({
  /** Timer period in ms; the stand-in's loopIntervalMs option overrides it. */
  intervalMs: z.number().positive().default(50),
  /** Simulated time that passes per loop round (defaults to intervalMs). */
  simulatedMsPerTick: z.number().positive().optional(),
  /** Which lines each rewrite adds to the local kube-apiserver pod's log. */
  apiserverLines: z.array(z.enum(apiserverLineKinds)).default(['satisfied-by']),
  /** How those lines are written: plain klog (what the pod log API returns), CRI or Docker json-file. */
  apiserverLogFormat: z.enum(apiserverLogFormats).default('klog'),
  /** Simulated seconds between the agent's "Waiting for node to register" lines. */
  agentLogEverySeconds: z.number().positive().default(2),
  /** The agent's wording of that line. */
  agentMessage: z
    .string()
    .default(
      'Waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first',
    ),
  /** Extra objects rewritten in a loop forever (until deleted), e.g. a ConfigMap: cluster + API path. */
  extraObjects: z.array(z.object({ cluster: z.string().default('local'), path: z.string() })).default([]),
  /** The user agent Rancher's writes carry in httplog lines and recorded writes. */
  userAgent: z.string().default('rancher/v0.0.0 (linux/amd64) kubernetes/$Format'),
});

export const scenarioSchema = z.object({
  description: z.string().optional(),
  /** A base scenario file (relative to this one) that this one adds to; see docs/standin.md. */
  extends: z.string().optional(),
  /** Rancher's version: settings.management.cattle.io/server-version of the local cluster (none when absent). */
  rancherVersion: z.string().optional(),
  /** Kubernetes version reported by /version. */
  version: z.object({ major: z.string(), minor: z.string() }).default({ major: '1', minor: '32' }),
  tokens: z
    .object({
      /** Accepted at the root (the local cluster's own API). */
      local: z.array(tokenSchema).default([]),
      /** Accepted on Rancher's proxy /k8s/clusters/<id>. */
      rancher: z.array(tokenSchema).default([]),
    })
    .default({ local: [], rancher: [] }),
  /** User for requests without credentials (kube's anonymous auth); null: they get 401. */
  anonymousUser: z.string().nullable().default(null),
  faults: z
    .object({ forbid: z.array(forbidSchema).default([]), inject: z.array(faultSchema).default([]) })
    .default({ forbid: [], inject: [] }),
  loop: loopSchema.default(loopSchema.parse({})),
  /**
   * Custom resources (e.g. nodes.management.cattle.io) whose CRD declares a status subresource, in
   * every cluster. Rancher's have none; a hand-edited CRD could.
   */
  statusSubresources: z.array(z.string()).default([]),
  /** 'local' and each downstream cluster id. */
  clusters: z.record(z.string(), clusterSchema).default({}),
});

export type Scenario = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;
export type ScenarioObject = z.output<typeof objectSchema>;
export type LoopSettings = z.output<typeof loopSchema>;
export type ScenarioToken = z.output<typeof tokenSchema>;

const here = path.dirname(fileURLToPath(import.meta.url));
export const seedScenarioPath = path.join(here, 'scenarios', 'seed.yaml');
export const scenarioDir = path.join(here, 'scenarios');

/** Validate a scenario object; throws with every problem's path. */
export function parseScenario(input: unknown, source = 'scenario'): ParsedScenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source} is not a valid scenario:\n  ${problems.join('\n  ')}`);
  }
  if (!result.data.clusters.local) result.data.clusters.local = clusterSchema.parse({});
  return result.data;
}

/** Read a scenario YAML file. A bare name (no slash, no .yaml) means test/standin/scenarios/<name>.yaml. */
export function loadScenario(file: string, seen: string[] = []): ParsedScenario {
  const resolved = path.resolve(/[/\\]|\.ya?ml$/.test(file) ? file : path.join(scenarioDir, `${file}.yaml`));
  if (seen.includes(resolved))
    throw new Error(`scenario extends itself: ${[...seen, resolved].join(' -> ')}`);
  const docs = parseAllDocuments(readFileSync(resolved, 'utf8'));
  const first = docs[0];
  if (!first || docs.length !== 1) throw new Error(`${resolved}: expected exactly one YAML document`);
  if (first.errors.length > 0) throw new Error(`${resolved}: ${first.errors[0]?.message}`);
  const scenario = parseScenario(first.toJSON(), resolved);
  if (!scenario.extends) return scenario;
  const base = loadScenario(path.resolve(path.dirname(resolved), scenario.extends), [...seen, resolved]);
  return extendScenario(base, scenario, (first.toJSON() ?? {}) as Record<string, unknown>);
}

function sameObject(
  a: { kind: string; metadata: { name: string; namespace?: string } },
  b: { kind: string; namespace?: string; name: string },
): boolean {
  return (
    a.kind === b.kind && a.metadata.name === b.name && (a.metadata.namespace ?? '') === (b.namespace ?? '')
  );
}

function sameLog(a: { namespace: string; pod: string; container?: string }, b: typeof a): boolean {
  return a.namespace === b.namespace && a.pod === b.pod && (a.container ?? '') === (b.container ?? '');
}

/**
 * `child` on top of `base`: objects are added (an object of the same kind, namespace and name
 * replaces the base's), `remove` drops base objects, a child's pod log replaces the base's log of that container, tokens and faults are
 * added, and the fields the child's YAML sets (loop settings, version, unreachable) win.
 */
function extendScenario(
  base: ParsedScenario,
  child: ParsedScenario,
  raw: Record<string, unknown>,
): ParsedScenario {
  const clusters: ParsedScenario['clusters'] = { ...base.clusters };
  const rawClusters = (raw.clusters ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, cluster] of Object.entries(child.clusters)) {
    const from = base.clusters[name];
    if (!from) {
      clusters[name] = cluster;
      continue;
    }
    const dropped = [
      ...cluster.remove,
      ...cluster.objects.map((o) => ({
        kind: o.kind,
        namespace: o.metadata.namespace,
        name: o.metadata.name,
      })),
    ];
    clusters[name] = {
      unreachable: rawClusters[name]?.unreachable !== undefined ? cluster.unreachable : from.unreachable,
      remove: [],
      objects: [...from.objects.filter((o) => !dropped.some((d) => sameObject(o, d))), ...cluster.objects],
      podLogs: [
        ...from.podLogs.filter((l) => !cluster.podLogs.some((c) => sameLog(l, c))),
        ...cluster.podLogs,
      ],
    };
  }
  const rawLoop = (raw.loop ?? {}) as Record<string, unknown>;
  const loop = { ...base.loop };
  for (const key of Object.keys(rawLoop) as (keyof LoopSettings)[])
    (loop as Record<string, unknown>)[key] = child.loop[key];
  return {
    description: child.description ?? base.description,
    version: raw.version ? child.version : base.version,
    rancherVersion: raw.rancherVersion !== undefined ? child.rancherVersion : base.rancherVersion,
    anonymousUser: raw.anonymousUser !== undefined ? child.anonymousUser : base.anonymousUser,
    tokens: {
      local: [...base.tokens.local, ...child.tokens.local],
      rancher: [...base.tokens.rancher, ...child.tokens.rancher],
    },
    faults: {
      forbid: [...base.faults.forbid, ...child.faults.forbid],
      inject: [...base.faults.inject, ...child.faults.inject],
    },
    loop,
    statusSubresources:
      raw.statusSubresources !== undefined ? child.statusSubresources : base.statusSubresources,
    clusters,
  };
}
