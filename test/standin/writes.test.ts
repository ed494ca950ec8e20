/**
 * What the stand-in does on writes as a real apiserver does, for the remediation: CRDs with or
 * without a status subresource, dry runs, resourceVersion preconditions, JSON patch tests, and
 * the request record and latency tests use. Through the real client-node and kubectl.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { loadScenario, startStandin, type K8sObject, type Standin, type StandinOptions } from './index.js';

const RANCHER = { group: 'management.cattle.io', version: 'v3' };
const H46DC = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';
const NODE = { ...RANCHER, namespace: 'c-dql6k', plural: 'nodes', name: 'machine-h46dc' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

let standin: Standin | null = null;
let dir: string | null = null;
afterEach(async () => {
  await standin?.close();
  standin = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function start(opts: StandinOptions = {}) {
  const s = (standin = await startStandin({ loopIntervalMs: null, ...opts }));
  const kc = new KubeConfig();
  kc.loadFromString(s.kubeconfigYaml());
  return { s, custom: kc.makeApiClient(CustomObjectsApi), ext: kc.makeApiClient(ApiextensionsV1Api) };
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const e = err as ApiException<unknown>;
    const body =
      typeof e.body === 'string'
        ? (JSON.parse(e.body) as Record<string, unknown>)
        : (e.body as Record<string, unknown>);
    return { code: e.code, body };
  }
  throw new Error('expected the call to fail');
}

const withStatusSubresource = () => ({
  ...loadScenario('seed'),
  statusSubresources: ['nodes.management.cattle.io'],
});

describe('CustomResourceDefinitions', () => {
  it('serves nodes.management.cattle.io as Rancher creates it: no subresources', async () => {
    const { ext } = await start();
    const crd = await ext.readCustomResourceDefinition({ name: 'nodes.management.cattle.io' });
    expect(crd.spec.group).toBe('management.cattle.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ plural: 'nodes', kind: 'Node' });
    expect(crd.spec.versions.map((v) => [v.name, v.subresources])).toEqual([['v3', undefined]]);
    const list = await ext.listCustomResourceDefinition();
    expect(list.items.map((c) => c.metadata!.name)).toEqual(
      expect.arrayContaining(['clusters.management.cattle.io', 'nodes.management.cattle.io']),
    );
    expect(list.items.map((c) => c.metadata!.name)).not.toContain('pods');
    const missing = await failure(ext.readCustomResourceDefinition({ name: 'nope.example.com' }));
    expect(missing.code).toBe(404);
  });

  it('answers /status with 404 when the CRD has no status subresource', async () => {
    const { custom, s } = await start();
    const before = s.resourceVersion('local');
    const f = await failure(
      custom.patchNamespacedCustomObjectStatus(
        { ...NODE, body: { status: { rkeNode: { address: '1.2.3.4' } } } },
        MERGE,
      ),
    );
    expect(f.code).toBe(404);
    expect(f.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    expect(s.resourceVersion('local')).toBe(before);
  });

  it('with a status subresource: /status writes status, a patch of the object ignores it', async () => {
    const { custom, ext, s } = await start({ scenario: withStatusSubresource() });
    const crd = await ext.readCustomResourceDefinition({ name: 'nodes.management.cattle.io' });
    expect(crd.spec.versions[0]!.subresources).toEqual({ status: {} });
    await custom.patchNamespacedCustomObject(
      {
        ...NODE,
        body: { spec: { customConfig: { address: '10.0.3.17' } }, status: { rkeNode: { address: 'x' } } },
      },
      MERGE,
    );
    let obj = s.get('local', H46DC)! as K8sObject & {
      spec: { customConfig?: unknown };
      status: { rkeNode?: unknown };
    };
    expect(obj.spec.customConfig).toEqual({ address: '10.0.3.17' });
    expect(obj.status.rkeNode).toBeUndefined();
    await custom.patchNamespacedCustomObjectStatus(
      { ...NODE, body: { status: { rkeNode: { address: '10.0.3.17' } } } },
      MERGE,
    );
    obj = s.get('local', H46DC)! as typeof obj;
    expect(obj.status.rkeNode).toEqual({ address: '10.0.3.17' });
  });

  it('kubectl patch --subresource=status is refused with NotFound as by a real apiserver', async () => {
    const s = (standin = await startStandin({ loopIntervalMs: null, anonymousUser: 'system:anonymous' }));
    dir = mkdtempSync(join(tmpdir(), 'rd-writes-'));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await s.writeKubeconfig(kubeconfig);
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        'kubectl',
        [
          '--kubeconfig',
          kubeconfig,
          'patch',
          'nodes.management.cattle.io',
          '-n',
          'c-dql6k',
          'machine-h46dc',
          '--subresource=status',
          '--type=merge',
          '-p',
          '{"status":{"rkeNode":{"address":"1.2.3.4"}}}',
        ],
        { env: { PATH: process.env.PATH, HOME: dir! }, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) || -1 : 0, stderr }),
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NotFound|not found|could not find/i);
    expect((s.get('local', H46DC)!.status as { rkeNode?: unknown }).rkeNode).toBeUndefined();
  });
});

describe('dry runs', () => {
  it('answers like the write and stores nothing: no new resourceVersion (so no watch event)', async () => {
    const { custom, s } = await start();
    const before = s.get('local', H46DC)!;
    const rv = s.resourceVersion('local');
    const answer = (await custom.patchNamespacedCustomObject(
      { ...NODE, body: { spec: { customConfig: { address: '10.0.3.17' } } }, dryRun: 'All' },
      MERGE,
    )) as K8sObject & { spec: { customConfig?: unknown } };
    expect(answer.spec.customConfig).toEqual({ address: '10.0.3.17' });
    expect(answer.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(s.resourceVersion('local')).toBe(rv);
    expect(s.get('local', H46DC)).toEqual(before);
    expect(s.countRequests({ method: 'PATCH', dryRun: true })).toBe(1);
    expect(s.countRequests({ method: 'PATCH', dryRun: false })).toBe(0);
  });

  it('can be rejected alone, as by an admission webhook, while real writes pass', async () => {
    const { custom, s } = await start();
    s.faults.inject({
      method: 'PATCH',
      dryRun: true,
      status: 403,
      message: 'admission webhook "x" denied the request: no',
      times: Infinity,
    });
    const f = await failure(
      custom.patchNamespacedCustomObject({ ...NODE, body: { spec: { worker: true } }, dryRun: 'All' }, MERGE),
    );
    expect(f).toMatchObject({
      code: 403,
      body: { reason: 'Forbidden', message: 'admission webhook "x" denied the request: no' },
    });
    await custom.patchNamespacedCustomObject({ ...NODE, body: { spec: { worker: true } } }, MERGE);
    expect(s.countRequests({ path: '/nodes/machine-h46dc', method: 'PATCH' })).toBe(2);
  });
});

describe('preconditions', () => {
  it('a merge patch carrying a stale resourceVersion: 409 with the real message', async () => {
    const { custom, s } = await start();
    const rv = s.get('local', H46DC)!.metadata.resourceVersion!;
    s.loop.tick(1);
    const f = await failure(
      custom.patchNamespacedCustomObject(
        { ...NODE, body: { metadata: { resourceVersion: rv }, spec: { worker: true } } },
        MERGE,
      ),
    );
    expect(f.code).toBe(409);
    expect(f.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on nodes.management.cattle.io "machine-h46dc": the object has been modified; please apply your changes to the latest version and try again',
    });
    const fresh = s.get('local', H46DC)!.metadata.resourceVersion!;
    await custom.patchNamespacedCustomObject(
      { ...NODE, body: { metadata: { resourceVersion: fresh }, spec: { worker: true } } },
      MERGE,
    );
  });

  it('a JSON patch whose test fails: 422, nothing stored', async () => {
    const { custom, s } = await start();
    const rv = s.resourceVersion('local');
    const f = await failure(
      custom.patchNamespacedCustomObject(
        {
          ...NODE,
          body: [
            { op: 'test', path: '/spec/requestedHostname', value: 'someone-else' },
            { op: 'add', path: '/spec/customConfig', value: { address: '1.2.3.4' } },
          ],
        },
        JSON_PATCH,
      ),
    );
    expect(f.code).toBe(422);
    expect(s.resourceVersion('local')).toBe(rv);
  });
});

describe('request record and latency', () => {
  it('counts requests by method, path and dry run; a latency set still answers each', async () => {
    const { custom, s } = await start({ latencyMs: 5 });
    await custom.getNamespacedCustomObject(NODE);
    s.setLatency(0);
    await custom.patchNamespacedCustomObject(
      { ...NODE, body: { spec: { worker: true } }, dryRun: 'All' },
      MERGE,
    );
    expect(s.countRequests({ method: 'GET', path: '/nodes/machine-h46dc' })).toBe(1);
    expect(s.countRequests({ path: /machine-h46dc$/, dryRun: true })).toBe(1);
    expect(s.countRequests({ method: 'patch', dryRun: false })).toBe(0);
  });
});
