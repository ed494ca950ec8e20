/**
 * The stand-in apiserver seen through the real @kubernetes/client-node over real HTTP:
 * the behaviours the product relies on, and the loop simulation.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { startStandin, type K8sObject, type Standin } from './index.js';

const RANCHER = { group: 'management.cattle.io', version: 'v3' };
const H46DC = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';

function clients(yaml: string): { core: CoreV1Api; custom: CustomObjectsApi; kc: KubeConfig } {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

/** The ApiException a client call rejects with (any other outcome fails the test). */
async function rejection(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    return err as ApiException<unknown>;
  }
  throw new Error('expected the call to fail');
}

/**
 * The rejection of a client call as {code, body}: for the status codes its OpenAPI document does not
 * declare, ApiException carries the stand-in's Status body as the raw string (a 401 carries none).
 */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const e = await rejection(promise);
  if (typeof e.body !== 'string') throw new Error(`HTTP ${e.code}: expected a body, got ${String(e.body)}`);
  return { code: e.code, body: JSON.parse(e.body) as Record<string, unknown>, headers: e.headers };
}

type NodeList = {
  items: K8sObject[];
  metadata: { continue?: string; resourceVersion: string; remainingItemCount?: number };
};

let standin: Standin;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let kc: KubeConfig;

beforeEach(async () => {
  standin = await startStandin({ loopIntervalMs: null });
  ({ core, custom, kc } = clients(standin.kubeconfigYaml()));
});

afterEach(async () => {
  await standin.close();
});

describe('reads', () => {
  it('lists pods by label and field selectors, in one namespace and across namespaces', async () => {
    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const onWorker3 = await downstream.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=worker-3' });
    expect(onWorker3.items.map((p) => p.metadata?.name).sort()).toEqual([
      'canal-5xk8t',
      'cattle-node-agent-7fj2k',
      'web-6d4cf56db6-x7k2p',
    ]);
    const agents = await downstream.listNamespacedPod({
      namespace: 'cattle-system',
      labelSelector: 'app=cattle-agent',
    });
    expect(agents.items).toHaveLength(2);
    const notAgents = await downstream.listPodForAllNamespaces({
      labelSelector: 'app!=cattle-agent,!k8s-app',
    });
    expect(notAgents.items.map((p) => p.metadata?.name).sort()).toEqual([
      'web-6d4cf56db6-q9m4z',
      'web-6d4cf56db6-x7k2p',
    ]);
    const setBased = await downstream.listPodForAllNamespaces({
      labelSelector: 'app in (web, nothing),pod-template-hash',
    });
    expect(setBased.items).toHaveLength(2);
    const notin = await downstream.listPodForAllNamespaces({
      labelSelector: 'app notin (web)',
      fieldSelector: 'status.phase=Running',
    });
    expect(notin.items.map((p) => p.metadata?.name).sort()).toEqual([
      'canal-5xk8t',
      'cattle-node-agent-7fj2k',
      'cattle-node-agent-m2v8n',
    ]);
  });

  it('pages a cluster-wide list of custom objects with limit and an opaque continue token', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = (await custom.listClusterCustomObject({
        ...RANCHER,
        plural: 'nodes',
        limit: 2,
        _continue: token,
      })) as NodeList;
      names.push(...page.items.map((n) => `${n.metadata.namespace}/${n.metadata.name}`));
      token = page.metadata.continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual([
      'c-dql6k/m-4hz8r',
      'c-dql6k/m-7x2kq',
      'c-dql6k/m-p9w4d',
      'c-dql6k/machine-h46dc',
      'local/machine-lc9vx',
    ]);
  });

  it('answers 410 Expired for a continue token older than the retained history', async () => {
    const first = (await custom.listClusterCustomObject({
      ...RANCHER,
      plural: 'nodes',
      limit: 1,
    })) as NodeList;
    standin.loop.tick();
    standin.compact('local');
    const err = await failure(
      custom.listClusterCustomObject({
        ...RANCHER,
        plural: 'nodes',
        limit: 1,
        _continue: first.metadata.continue,
      }),
    );
    expect(err.code).toBe(410);
    expect(err.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('answers NotFound as a Status body', async () => {
    const err = await failure(
      custom.getNamespacedCustomObject({ ...RANCHER, namespace: 'c-dql6k', plural: 'nodes', name: 'm-nope' }),
    );
    expect(err.code).toBe(404);
    expect(err.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'nodes.management.cattle.io "m-nope" not found',
      reason: 'NotFound',
      details: { name: 'm-nope', group: 'management.cattle.io', kind: 'nodes' },
      code: 404,
    });
  });

  it('refuses a missing or wrong token with 401, and the local token on the Rancher proxy', async () => {
    const unauthorized = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    };
    // client-node's generated code declares 401 with no body: it rejects with the code alone.
    const wrong = clients(standin.kubeconfigYaml({ token: 'not-a-token' })).core;
    const err = await rejection(wrong.listNamespace());
    expect(err.code).toBe(401);
    expect(err.body).toBeUndefined();
    expect(err.headers['content-type']).toBe('application/json');
    // On the wire the answer is kube-apiserver's Status body, with or without a token.
    const tokens: Record<string, string>[] = [{}, { Authorization: 'Bearer not-a-token' }];
    for (const headers of tokens) {
      const res = await fetch(`${standin.url}/api/v1/namespaces`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual(unauthorized);
    }
    const proxied = await fetch(`${standin.url}/k8s/clusters/c-dql6k/api/v1/nodes`, {
      headers: { Authorization: `Bearer ${standin.localToken}` },
    });
    expect(proxied.status).toBe(401);
    expect(await proxied.json()).toEqual(unauthorized);
  });
});

describe('writes', () => {
  it('creates with uid, creationTimestamp and generation, and refuses a duplicate with 409 AlreadyExists', async () => {
    const before = standin.resourceVersion('c-dql6k');
    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const created = await downstream.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'settings' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(Number(created.metadata?.resourceVersion)).toBe(before + 1);
    const err = await failure(
      downstream.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'settings' } },
      }),
    );
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "settings" already exists',
    });
  });

  it('refuses a replace with a stale resourceVersion with 409 Conflict', async () => {
    const stale = (await custom.getNamespacedCustomObject({
      ...RANCHER,
      namespace: 'c-dql6k',
      plural: 'nodes',
      name: 'machine-h46dc',
    })) as K8sObject;
    standin.loop.tick();
    const err = await failure(
      custom.replaceNamespacedCustomObject({
        ...RANCHER,
        namespace: 'c-dql6k',
        plural: 'nodes',
        name: 'machine-h46dc',
        body: stale,
      }),
    );
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on nodes.management.cattle.io "machine-h46dc": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'machine-h46dc', group: 'management.cattle.io', kind: 'nodes' },
    });
    const fresh = (await custom.getNamespacedCustomObject({
      ...RANCHER,
      namespace: 'c-dql6k',
      plural: 'nodes',
      name: 'machine-h46dc',
    })) as K8sObject;
    const replaced = (await custom.replaceNamespacedCustomObject({
      ...RANCHER,
      namespace: 'c-dql6k',
      plural: 'nodes',
      name: 'machine-h46dc',
      body: { ...fresh, spec: { ...(fresh.spec as object), displayName: 'w3' } },
    })) as K8sObject;
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(Number(fresh.metadata.resourceVersion));
    expect(replaced.metadata.generation).toBe((fresh.metadata.generation ?? 0) + 1);
  });

  it('applies a merge patch with dryRun=All without storing it, then for real', async () => {
    const rv = standin.resourceVersion('local');
    const body = {
      status: { rkeNode: { address: '10.0.3.17', port: '22', user: 'root', role: ['worker'] } },
    };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const target = { ...RANCHER, namespace: 'c-dql6k', plural: 'nodes', name: 'machine-h46dc', body };
    const dry = (await custom.patchNamespacedCustomObject(
      { ...target, dryRun: 'All', fieldManager: 'rancher-doctor' },
      merge,
    )) as K8sObject;
    expect(dry.status).toMatchObject(body.status);
    expect(standin.resourceVersion('local')).toBe(rv);
    expect(standin.get('local', H46DC)?.status).not.toHaveProperty('rkeNode');
    expect(standin.requests.at(-1)?.query).toMatchObject({ dryRun: 'All', fieldManager: 'rancher-doctor' });

    const real = (await custom.patchNamespacedCustomObject(target, merge)) as K8sObject;
    expect(Number(real.metadata.resourceVersion)).toBe(rv + 1);
    expect(standin.get('local', H46DC)?.status).toMatchObject(body.status);
  });

  it('applies a JSON patch (the client default), with a failing test op answered 422', async () => {
    const target = { ...RANCHER, namespace: 'c-dql6k', plural: 'nodes', name: 'machine-h46dc' };
    const patched = (await custom.patchNamespacedCustomObject({
      ...target,
      body: [
        { op: 'test', path: '/spec/requestedHostname', value: 'worker-3' },
        { op: 'add', path: '/spec/customConfig', value: { address: '10.0.3.17', user: 'root' } },
      ],
    })) as K8sObject;
    expect(patched.spec).toMatchObject({ customConfig: { address: '10.0.3.17', user: 'root' } });
    const err = await failure(
      custom.patchNamespacedCustomObject({
        ...target,
        body: [{ op: 'test', path: '/spec/requestedHostname', value: 'other' }],
      }),
    );
    expect(err.code).toBe(422);
  });

  it('answers 415 to a strategic merge patch on a custom resource, and applies one to a core kind', async () => {
    const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    const err = await failure(
      custom.patchNamespacedCustomObject(
        {
          ...RANCHER,
          namespace: 'c-dql6k',
          plural: 'nodes',
          name: 'machine-h46dc',
          body: { spec: { worker: true } },
        },
        strategic,
      ),
    );
    expect(err.code).toBe(415);
    expect(err.body).toMatchObject({ reason: 'UnsupportedMediaType' });

    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const cordoned = await downstream.patchNode(
      { name: 'worker-3', body: { spec: { unschedulable: true } } },
      strategic,
    );
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.spec?.podCIDR).toBe('10.42.3.0/24');
    const unschedulable = await downstream.listNode({ fieldSelector: 'spec.unschedulable=true' });
    expect(unschedulable.items.map((n) => n.metadata?.name)).toEqual(['worker-3']);
  });

  it('deletes a custom object or a Node with a Success Status, and a Pod by returning it', async () => {
    const localNode = standin.get('local', H46DC)!;
    const status = (await custom.deleteNamespacedCustomObject({
      ...RANCHER,
      namespace: 'c-dql6k',
      plural: 'nodes',
      name: 'machine-h46dc',
    })) as Record<string, unknown>;
    // kube's generic store without ReturnDeletedObject: the resource goes in details.kind, no code.
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: 'machine-h46dc',
        group: 'management.cattle.io',
        kind: 'nodes',
        uid: localNode.metadata.uid,
      },
    });
    expect(standin.get('local', H46DC)).toBeUndefined();

    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const worker3 = standin.get('c-dql6k', '/api/v1/nodes/worker-3')!;
    // client-node types deleteNode as V1Status, because a real apiserver answers one for nodes.
    const nodeStatus = await downstream.deleteNode({ name: 'worker-3' });
    expect(nodeStatus).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Success',
      details: { name: 'worker-3', kind: 'nodes', uid: worker3.metadata.uid },
    });
    expect(nodeStatus.details?.group).toBeUndefined();
    expect(standin.get('c-dql6k', '/api/v1/nodes/worker-3')).toBeUndefined();

    // Pods' storage returns the deleted object (client-node: V1Pod).
    const pod = await downstream.deleteNamespacedPod({ name: 'web-6d4cf56db6-q9m4z', namespace: 'default' });
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata?.name).toBe('web-6d4cf56db6-q9m4z');
    expect(standin.get('c-dql6k', '/api/v1/namespaces/default/pods/web-6d4cf56db6-q9m4z')).toBeUndefined();
  });
});

describe('eviction', () => {
  it('answers 429 while a PodDisruptionBudget forbids, and 201 when it allows', async () => {
    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const evict = (name: string, namespace: string) =>
      downstream.createNamespacedPodEviction({ name, namespace, body: { metadata: { name, namespace } } });
    const blocked = await failure(evict('web-6d4cf56db6-x7k2p', 'default'));
    expect(blocked.code).toBe(429);
    expect(blocked.body).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
    await evict('canal-5xk8t', 'kube-system');
    expect(standin.get('c-dql6k', '/api/v1/namespaces/kube-system/pods/canal-5xk8t')).toBeUndefined();
    // With a third healthy web pod the budget allows one eviction.
    const third = standin.get('c-dql6k', '/api/v1/namespaces/default/pods/web-6d4cf56db6-q9m4z')!;
    standin.create('c-dql6k', {
      ...third,
      metadata: {
        ...third.metadata,
        name: 'web-6d4cf56db6-z1z1z',
        uid: undefined,
        resourceVersion: undefined,
      },
    });
    await evict('web-6d4cf56db6-x7k2p', 'default');
    expect(standin.get('c-dql6k', '/api/v1/namespaces/default/pods/web-6d4cf56db6-x7k2p')).toBeUndefined();
  });
});

describe('pod logs', () => {
  it('serves text/plain with tailLines, sinceSeconds, limitBytes and timestamps', async () => {
    standin.appendPodLog('c-dql6k', 'default', 'web-6d4cf56db6-x7k2p', 'web', [
      { time: 'now-3600s', line: 'an hour ago' },
      { time: 'now-5s', line: 'five seconds ago' },
      'just now',
    ]);
    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const read = (opts: {
      tailLines?: number;
      sinceSeconds?: number;
      limitBytes?: number;
      timestamps?: boolean;
    }) => downstream.readNamespacedPodLog({ name: 'web-6d4cf56db6-x7k2p', namespace: 'default', ...opts });
    expect(await read({})).toBe('an hour ago\nfive seconds ago\njust now\n');
    expect(await read({ tailLines: 2 })).toBe('five seconds ago\njust now\n');
    expect(await read({ sinceSeconds: 60 })).toBe('five seconds ago\njust now\n');
    expect(await read({ limitBytes: 5 })).toBe('an ho');
    const stamped = await read({ tailLines: 1, timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z just now\n$/);
  });

  it('asks for a container name when the pod has several, as kubelet does', async () => {
    const pod = standin.get('c-dql6k', '/api/v1/namespaces/default/pods/web-6d4cf56db6-x7k2p')!;
    standin.put('c-dql6k', {
      ...pod,
      spec: { ...(pod.spec as object), containers: [{ name: 'web' }, { name: 'sidecar' }] },
    });
    const downstream = clients(standin.downstreamKubeconfigYaml('c-dql6k')).core;
    const err = await failure(
      downstream.readNamespacedPodLog({ name: 'web-6d4cf56db6-x7k2p', namespace: 'default' }),
    );
    expect(err.code).toBe(400);
    expect(err.body.message).toBe(
      'a container name must be specified for pod web-6d4cf56db6-x7k2p, choose one of: [web sidecar]',
    );
  });

  it('streams with follow: headers at once, then each line as it comes, until the client closes', async () => {
    // Every wait here is bounded: a stream that stalls fails the test instead of hanging the suite.
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new Error('the log stream stalled')), 10_000);
    try {
      // tailLines=0 on a quiet log: no line is due, yet the answer (its headers) comes at once.
      const res = await fetch(
        `${standin.url}/api/v1/namespaces/kube-system/pods/kube-apiserver-rancher-1/log?follow=true&tailLines=0`,
        { headers: { Authorization: `Bearer ${standin.localToken}` }, signal: controller.signal },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      standin.loop.tick();
      let text = '';
      while (!text.includes('httplog.go')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the log stream ended early after: ${JSON.stringify(text)}`);
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toContain(
        'PUT "/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc" satisfied by nonGoRestful',
      );
      await reader.cancel();
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
  });

  it('ends a followed log when the pod is deleted', async () => {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new Error('the log stream did not end')), 10_000);
    try {
      const res = await fetch(
        `${standin.url}/k8s/clusters/c-dql6k/api/v1/namespaces/cattle-system/pods/cattle-node-agent-7fj2k/log?follow=true`,
        { headers: { Authorization: `Bearer ${standin.rancherToken}` }, signal: controller.signal },
      );
      expect(res.status).toBe(200);
      standin.delete('c-dql6k', '/api/v1/namespaces/cattle-system/pods/cattle-node-agent-7fj2k');
      // text() resolves only once the stand-in ends the stream.
      expect(await res.text()).toContain('Waiting for node to register');
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
  });
});

describe('watch', () => {
  it('sends ADDED for what exists, then MODIFIED for each write, filtered by selector', async () => {
    const events: string[] = [];
    let resolveSeen!: () => void;
    const seen = new Promise<void>((r) => (resolveSeen = r));
    const controller = await new Watch(kc).watch(
      '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes',
      { fieldSelector: 'metadata.name=machine-h46dc' },
      (type, obj: K8sObject) => {
        events.push(`${type} ${obj.metadata.name} ${obj.metadata.resourceVersion}`);
        if (events.length === 3) resolveSeen();
      },
      () => undefined,
    );
    // ADDED arrives first; then two loop rounds.
    while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
    standin.loop.tick(2);
    await seen;
    controller.abort();
    const rv = standin.resourceVersion('local');
    expect(events).toEqual([
      `ADDED machine-h46dc ${rv - 2}`.replace(`${rv - 2}`, events[0]!.split(' ')[2]!),
      `MODIFIED machine-h46dc ${rv - 1}`,
      `MODIFIED machine-h46dc ${rv}`,
    ]);
  });

  it('answers a watch at once, before any event is due, then streams the events', async () => {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new Error('the watch stalled')), 10_000);
    try {
      const from = standin.resourceVersion('local');
      const res = await fetch(
        `${standin.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${from}`,
        { headers: { Authorization: `Bearer ${standin.localToken}` }, signal: controller.signal },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      standin.create('local', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'late', namespace: 'default' },
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the watch ended early after: ${JSON.stringify(text)}`);
        text += decoder.decode(value, { stream: true });
      }
      expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({
        type: 'ADDED',
        object: { kind: 'ConfigMap', metadata: { name: 'late', resourceVersion: String(from + 1) } },
      });
      await reader.cancel();
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
  });

  it('watches one object on its own path, as on its collection with metadata.name', async () => {
    const from = standin.resourceVersion('local');
    standin.loop.tick();
    const other = standin.get('local', '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-7x2kq')!;
    standin.put('local', { ...other, metadata: { ...other.metadata, labels: { touched: 'yes' } } });
    const res = await fetch(`${standin.url}${H46DC}?watch=1&resourceVersion=${from}&timeoutSeconds=1`, {
      headers: { Authorization: `Bearer ${standin.localToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    const events = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: K8sObject });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED machine-h46dc']);
  });

  it('replays events after a resourceVersion, and sends an ERROR 410 event for one too old', async () => {
    const from = standin.resourceVersion('local');
    standin.loop.tick(2);
    const url = `${standin.url}/apis/management.cattle.io/v3/nodes?watch=1&resourceVersion=${from}&timeoutSeconds=1`;
    const replay = await fetch(url, { headers: { Authorization: `Bearer ${standin.localToken}` } });
    const lines = (await replay.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: K8sObject });
    expect(lines.map((l) => `${l.type} ${l.object.metadata.resourceVersion}`)).toEqual([
      `MODIFIED ${from + 1}`,
      `MODIFIED ${from + 2}`,
    ]);
    standin.compact('local');
    const expired = await fetch(url, { headers: { Authorization: `Bearer ${standin.localToken}` } });
    const [event] = (await expired.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
    expect(event).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });
});

describe('discovery', () => {
  it('serves the aggregated v2 form only when the Accept header asks for it', async () => {
    const auth = { Authorization: `Bearer ${standin.localToken}` };
    const legacy = await fetch(`${standin.url}/apis`, { headers: { ...auth, Accept: 'application/json' } });
    expect(await legacy.json()).toMatchObject({ kind: 'APIGroupList' });
    const v2 = await fetch(`${standin.url}/apis`, {
      headers: {
        ...auth,
        Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      },
    });
    expect(v2.headers.get('content-type')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const doc = (await v2.json()) as { kind: string; items: { metadata: { name: string } }[] };
    expect(doc.kind).toBe('APIGroupDiscoveryList');
    expect(doc.items.map((g) => g.metadata.name)).toContain('management.cattle.io');
    const resources = await fetch(`${standin.url}/apis/management.cattle.io/v3`, { headers: auth });
    expect(await resources.json()).toMatchObject({
      kind: 'APIResourceList',
      resources: expect.arrayContaining([
        expect.objectContaining({ name: 'nodes', kind: 'Node', namespaced: true }),
      ]),
    });
    const version = await fetch(`${standin.url}/version`);
    expect(await version.json()).toMatchObject({ major: '1', minor: '32' });
  });
});

describe('faults', () => {
  it('forbids a verb with kube-apiserver wording, for one user', async () => {
    standin.faults.forbid({
      verb: 'list',
      group: 'management.cattle.io',
      resource: 'nodes',
      user: 'system:serviceaccount:cattle-system:rancher-doctor',
    });
    const err = await failure(custom.listClusterCustomObject({ ...RANCHER, plural: 'nodes' }));
    expect(err.code).toBe(403);
    expect(err.body).toMatchObject({
      reason: 'Forbidden',
      message:
        'nodes.management.cattle.io is forbidden: User "system:serviceaccount:cattle-system:rancher-doctor" cannot list resource "nodes" in API group "management.cattle.io" at the cluster scope',
    });
    const namespaced = await failure(
      custom.listNamespacedCustomObject({ ...RANCHER, namespace: 'c-dql6k', plural: 'nodes' }),
    );
    expect(namespaced.body.message).toMatch(/in the namespace "c-dql6k"$/);
    // get is still allowed
    await custom.getNamespacedCustomObject({
      ...RANCHER,
      namespace: 'c-dql6k',
      plural: 'nodes',
      name: 'm-7x2kq',
    });
  });

  it('answers an injected status N times with Retry-After, then normally; resets a connection', async () => {
    const fault = standin.faults.inject({
      method: 'GET',
      path: '/apis/management.cattle.io/v3/nodes',
      status: 429,
      retryAfterSeconds: 2,
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const err = await failure(custom.listClusterCustomObject({ ...RANCHER, plural: 'nodes' }));
      expect(err.code).toBe(429);
      expect(err.headers['retry-after']).toBe('2');
    }
    expect(fault.remaining).toBe(0);
    await custom.listClusterCustomObject({ ...RANCHER, plural: 'nodes' });
    standin.faults.inject({ path: '/api/v1/namespaces', reset: true });
    await expect(core.listNamespace()).rejects.toThrow();
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);
  });

  it('records requests with method, path, query, headers and body', async () => {
    standin.clearRequests();
    await custom.patchNamespacedCustomObject(
      {
        ...RANCHER,
        namespace: 'c-dql6k',
        plural: 'nodes',
        name: 'm-7x2kq',
        body: { metadata: { labels: { a: 'b' } } },
        fieldManager: 'rd',
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(standin.requests).toHaveLength(1);
    expect(standin.requests[0]).toMatchObject({
      cluster: 'local',
      method: 'PATCH',
      path: '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-7x2kq',
      query: { fieldManager: 'rd' },
      body: '{"metadata":{"labels":{"a":"b"}}}',
      status: 200,
      user: 'system:serviceaccount:cattle-system:rancher-doctor',
    });
    expect(standin.requests[0]!.headers['content-type']).toBe('application/merge-patch+json');
  });
});

describe("Rancher's proxy", () => {
  it('serves each downstream cluster, 404 for an unknown one, 503 for an unreachable one', async () => {
    const nodes = await clients(standin.downstreamKubeconfigYaml('c-dql6k')).core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['cp-1', 'worker-1', 'worker-2', 'worker-3']);
    const absent = await fetch(`${standin.url}/k8s/clusters/c-absent/api/v1/nodes`, {
      headers: { Authorization: `Bearer ${standin.rancherToken}` },
    });
    expect(absent.status).toBe(404);
    await standin.close();
    standin = await startStandin({ scenario: 'unreachable-downstream', loopIntervalMs: null });
    const unreachable = await failure(clients(standin.downstreamKubeconfigYaml('c-dql6k')).core.listNode());
    expect(unreachable.code).toBe(503);
    expect(unreachable.body).toMatchObject({
      code: 'ClusterUnavailable',
      message: 'cluster agent disconnected',
    });
  });
});

describe('the loop', () => {
  it('rewrites machine-h46dc each round, growing the apiserver and agent logs', () => {
    const rv = standin.resourceVersion('local');
    const apiserverLines = standin.podLog(
      'local',
      'kube-system',
      'kube-apiserver-rancher-1',
      'kube-apiserver',
    ).length;
    const agentLines = standin.podLog('c-dql6k', 'cattle-system', 'cattle-node-agent-7fj2k', 'agent').length;
    standin.loop.tick(100); // 100 × 50 ms = 5 s simulated
    expect(standin.resourceVersion('local')).toBe(rv + 100);
    expect(standin.loop.writes('c-dql6k', 'machine-h46dc')).toBe(100);
    const apiserver = standin.podLog('local', 'kube-system', 'kube-apiserver-rancher-1', 'kube-apiserver');
    expect(apiserver.length).toBe(apiserverLines + 100 * 7); // six satisfied-by lines and one httplog line
    expect(apiserver.at(-1)).toMatch(
      /httplog\.go:\d+\] "HTTP" verb="PUT" URI="\/apis\/management\.cattle\.io\/v3\/namespaces\/c-dql6k\/nodes\/machine-h46dc"/,
    );
    const agent = standin.podLog('c-dql6k', 'cattle-system', 'cattle-node-agent-7fj2k', 'agent');
    expect(agent.length - agentLines).toBe(3); // at 0 s, 2 s and 4 s of simulated time
    expect(agent.at(-1)).toMatch(
      /^time="[^"]+" level=info msg="Waiting for node to register\. Either cluster is not ready for registering or etcd and controlplane node have to be registered first"$/,
    );
  });

  it('stops once status.rkeNode is patched in', async () => {
    expect(standin.loop.isLooping('c-dql6k', 'machine-h46dc')).toBe(true);
    await custom.patchNamespacedCustomObject(
      {
        ...RANCHER,
        namespace: 'c-dql6k',
        plural: 'nodes',
        name: 'machine-h46dc',
        body: { status: { rkeNode: { address: '10.0.3.17' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const rv = standin.resourceVersion('local');
    standin.loop.tick(10);
    expect(standin.resourceVersion('local')).toBe(rv);
    expect(standin.loop.isLooping('c-dql6k', 'machine-h46dc')).toBe(false);
  });

  it('stops once the Kubernetes node is deleted downstream', async () => {
    await clients(standin.downstreamKubeconfigYaml('c-dql6k')).core.deleteNode({ name: 'worker-3' });
    const rv = standin.resourceVersion('local');
    standin.loop.tick(10);
    expect(standin.resourceVersion('local')).toBe(rv);
    expect(standin.loop.isLooping('c-dql6k', 'machine-h46dc')).toBe(false);
  });

  it('runs by timer when started, and not when stopped', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const rv = standin.resourceVersion('local');
      standin.loop.start(5);
      await jest.advanceTimersByTimeAsync(10);
      expect(standin.resourceVersion('local')).toBeGreaterThanOrEqual(rv + 2);
      standin.loop.stop();
      const stopped = standin.resourceVersion('local');
      await jest.advanceTimersByTimeAsync(1000);
      expect(standin.resourceVersion('local')).toBe(stopped);
      expect(standin.loop.running).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
