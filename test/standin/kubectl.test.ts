/**
 * The real kubectl against the stand-in apiserver: if kubectl, which follows a real apiserver's
 * contract closely, gets what it expects, the stand-in answers like one. Skipped, with a message,
 * on a machine without kubectl.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startStandin, type K8sObject, type Standin } from './index.js';

const KUBECTL = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'kubectl'))
  .find((p) => existsSync(p));
if (!KUBECTL) console.warn('kubectl is not on the PATH: the stand-in kubectl tests are skipped');
const describeWithKubectl = KUBECTL ? describe : describe.skip;

const NODE_PATH = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';

let standin: Standin;
let dir: string;
let kubeconfig: string;

/** kubectl runs asynchronously: the stand-in answers from this same process. */
function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL!,
      ['--kubeconfig', kubeconfig, ...args],
      { env: { PATH: process.env.PATH, HOME: dir }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  // kubectl sends no bearer token over plain http: the stand-in takes such requests as anonymous.
  standin = await startStandin({ loopIntervalMs: null, anonymousUser: 'system:anonymous' });
  dir = mkdtempSync(join(tmpdir(), 'rd-kubectl-'));
  kubeconfig = join(dir, 'kubeconfig.yaml');
  await standin.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await standin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describeWithKubectl('the real kubectl against the stand-in', () => {
  it('get lists node objects across namespaces as a table', async () => {
    const r = await kubectl('get', 'nodes.management.cattle.io', '-A');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(0, 2));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME']);
    expect(rows.slice(1)).toEqual(
      expect.arrayContaining([
        ['c-dql6k', 'machine-h46dc'],
        ['c-dql6k', 'm-4hz8r'],
      ]),
    );
  });

  it('get -o json gives the stored object, resourceVersion included', async () => {
    const r = await kubectl(
      'get',
      'nodes.management.cattle.io',
      '-n',
      'c-dql6k',
      'machine-h46dc',
      '-o',
      'json',
    );
    expect(r.code).toBe(0);
    const obj = JSON.parse(r.stdout) as K8sObject;
    const stored = standin.get('local', NODE_PATH)!;
    expect(obj.kind).toBe('Node');
    expect(obj.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect(obj.status).toEqual(stored.status);
  });

  it('get with a field selector and a label selector', async () => {
    const byName = await kubectl(
      'get',
      'nodes.management.cattle.io',
      '-A',
      '--field-selector',
      'metadata.name=machine-h46dc',
      '-o',
      'name',
    );
    expect(byName.code).toBe(0);
    expect(byName.stdout.trim()).toBe('node.management.cattle.io/machine-h46dc');
    const apiservers = await kubectl(
      'get',
      'pods',
      '-n',
      'kube-system',
      '-l',
      'component=kube-apiserver',
      '-o',
      'name',
    );
    expect(apiservers.stdout.trim().split('\n')).toEqual(
      standin.list('local', '/api/v1/namespaces/kube-system/pods').map((p) => `pod/${p.metadata.name}`),
    );
  });

  it('a missing object is a NotFound Status, as kubectl prints it', async () => {
    const r = await kubectl('get', 'nodes.management.cattle.io', '-n', 'c-dql6k', 'machine-nope');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (NotFound): nodes.management.cattle.io "machine-nope" not found',
    );
  });

  it('patch --type merge writes the object; --dry-run=server writes nothing', async () => {
    const before = standin.get('local', NODE_PATH)!;
    const patch = JSON.stringify({ metadata: { labels: { 'rancher-doctor/test': 'dry' } } });
    const dry = await kubectl(
      'patch',
      'nodes.management.cattle.io',
      '-n',
      'c-dql6k',
      'machine-h46dc',
      '--type',
      'merge',
      '-p',
      patch,
      '--dry-run=server',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim()).toBe('node.management.cattle.io/machine-h46dc patched');
    expect(standin.get('local', NODE_PATH)!.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

    const rkeNode = {
      address: '10.0.0.13',
      nodeName: 'c-dql6k:machine-h46dc',
      port: '22',
      user: 'root',
      role: ['worker'],
    };
    const r = await kubectl(
      'patch',
      'nodes.management.cattle.io',
      '-n',
      'c-dql6k',
      'machine-h46dc',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ status: { rkeNode } }),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('node.management.cattle.io/machine-h46dc patched');
    const after = standin.get('local', NODE_PATH)!;
    expect((after.status as { rkeNode?: unknown }).rkeNode).toEqual(rkeNode);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    // The loop condition no longer holds: the simulated Rancher stops rewriting the object.
    expect(standin.loop.isLooping('c-dql6k', 'machine-h46dc')).toBe(false);
  });

  it('replace with a stale resourceVersion is refused with 409 Conflict', async () => {
    const got = await kubectl('get', 'nodes.management.cattle.io', '-n', 'c-dql6k', 'm-4hz8r', '-o', 'json');
    const obj = JSON.parse(got.stdout) as K8sObject;
    // Someone else writes the object meanwhile.
    const moved = await kubectl(
      'patch',
      'nodes.management.cattle.io',
      '-n',
      'c-dql6k',
      'm-4hz8r',
      '--type',
      'json',
      '-p',
      '[{"op":"add","path":"/metadata/labels","value":{"moved":"yes"}}]',
    );
    expect(moved.code).toBe(0);
    const file = join(dir, 'stale.json');
    writeFileSync(file, JSON.stringify({ ...obj, spec: { ...(obj.spec as object), displayName: 'stale' } }));
    // The stand-in serves no OpenAPI document, which kubectl's client-side validation would read.
    const r = await kubectl('replace', '--validate=false', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Conflict)');
    expect(r.stderr).toContain(
      'the object has been modified; please apply your changes to the latest version',
    );
    const stored = standin.get('local', '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/m-4hz8r')!;
    expect((stored.spec as { displayName?: string }).displayName).not.toBe('stale');

    // With the current resourceVersion the same replace goes through.
    writeFileSync(
      file,
      JSON.stringify({ ...stored, spec: { ...(stored.spec as object), displayName: 'fresh' } }),
    );
    const ok = await kubectl('replace', '--validate=false', '-f', file);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('node.management.cattle.io/m-4hz8r replaced');
  });

  it('logs reads the kube-apiserver pod log with --tail', async () => {
    standin.loop.tick(3);
    const pod = standin.list('local', '/api/v1/namespaces/kube-system/pods')[0]!.metadata.name;
    const r = await kubectl('logs', '-n', 'kube-system', pod, '--tail', '2');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const stored = standin.podLog('local', 'kube-system', pod, 'kube-apiserver');
    expect(lines).toEqual(stored.slice(-2));
  });
});
