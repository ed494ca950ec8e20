import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { checkOverlay, type Manifest } from '../../scripts/manifests.js';
import { startGround, type Ground } from '../diagnosis/support.js';
import { verbOf } from '../standin/api.js';
import type { K8sObject } from '../standin/index.js';
import { parseApiPath } from '../standin/paths.js';
import { runCliInProcess } from '../support/cli.js';
import { overlay } from './support.js';

/**
 * The RBAC of the manifests is the smallest that works: the stand-in apiserver authorizes the
 * service account by the rendered Roles and bindings, as kube-apiserver's RBAC does; the diagnosis
 * and the patch run as that account with no 403, and without any one rule they meet a 403 that
 * their output names.
 */
const SA_USER = 'system:serviceaccount:rancher-doctor:rancher-doctor';
const SA_TOKEN = 'rancher-doctor-sa-token';
const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * Granted for what this version does not read yet (the list of cluster kinds, the
 * version setting, a status subresource's patch, Events of a fix): each is checked to be unread,
 * so that the day something reads it, this list says to move it to the checked ones.
 */
const NOT_READ_YET = new Set([
  'get management.cattle.io/clusterregistrationtokens',
  'get provisioning.cattle.io/clusters',
  'list provisioning.cattle.io/clusters',
  'get cluster.x-k8s.io/machines',
  'list cluster.x-k8s.io/machines',
  'patch management.cattle.io/nodes/status',
  'create /events',
  'create events.k8s.io/events',
]);

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
/** One verb on one resource of one group, from one Role: what "one rule" means below. */
interface Atom {
  role: string;
  group: string;
  resource: string;
  verb: string;
}
const atomName = (a: Atom) => `${a.verb} ${a.group}/${a.resource}`;

function atomsOf(manifests: Manifest[]): Atom[] {
  return manifests
    .filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole')
    .flatMap((m) =>
      ((m.rules as Rule[]) ?? []).flatMap((r) =>
        (r.apiGroups ?? []).flatMap((group) =>
          (r.resources ?? []).flatMap((resource) =>
            r.verbs.map((verb) => ({ role: `${m.kind}/${m.metadata.name}`, group, resource, verb })),
          ),
        ),
      ),
    );
}

/** The RBAC objects without one atom: its rule keeps its other groups, resources and verbs. */
function without(manifests: Manifest[], atom: Atom): K8sObject[] {
  return rbacObjects(manifests).map((m) => {
    if (`${m.kind}/${m.metadata.name}` !== atom.role) return m;
    const rules = (m.rules as Rule[]).flatMap((r) => {
      if (
        !r.apiGroups?.includes(atom.group) ||
        !r.resources?.includes(atom.resource) ||
        !r.verbs.includes(atom.verb)
      )
        return [r];
      const split: Rule[] = [];
      const otherGroups = r.apiGroups.filter((g) => g !== atom.group);
      const otherResources = r.resources.filter((x) => x !== atom.resource);
      const otherVerbs = r.verbs.filter((v) => v !== atom.verb);
      if (otherGroups.length) split.push({ ...r, apiGroups: otherGroups });
      if (otherResources.length) split.push({ ...r, apiGroups: [atom.group], resources: otherResources });
      if (otherVerbs.length)
        split.push({ ...r, apiGroups: [atom.group], resources: [atom.resource], verbs: otherVerbs });
      return split;
    });
    return { ...m, rules };
  });
}

const rbacObjects = (manifests: Manifest[]) => manifests.filter((m) => RBAC_KINDS.has(m.kind)) as K8sObject[];

let readOnly: Manifest[];
let remediation: Manifest[];
let ground: Ground | null = null;
const saved = {
  RANCHER_URL: process.env.RANCHER_URL,
  RANCHER_TOKEN: process.env.RANCHER_TOKEN,
  XDG_STATE_HOME: process.env.XDG_STATE_HOME,
};

beforeAll(async () => {
  readOnly = await checkOverlay(overlay('default'));
  remediation = await checkOverlay(overlay('remediation'));
});
async function closeGround(): Promise<void> {
  await ground?.close();
  ground = null;
}
afterEach(closeGround);
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

interface Run {
  code: number;
  output: string;
  forbidden: { method: string; path: string }[];
  /** The atoms the requests needed: `verb group/resource[/subresource]`. */
  used: Set<string>;
}

/** The diagnosis (and with `fix`, the patch) as the service account, under these RBAC objects. */
async function runAs(objects: K8sObject[], what: 'diagnose' | 'fix'): Promise<Run> {
  ground = await startGround({ rbac: { objects, tokens: { [SA_TOKEN]: SA_USER } } });
  process.env.RANCHER_URL = ground.standin.url;
  process.env.RANCHER_TOKEN = ground.standin.rancherToken;
  process.env.XDG_STATE_HOME = path.join(ground.dir, 'state');
  const kubeconfig = path.join(ground.dir, 'sa.kubeconfig');
  await ground.standin.writeKubeconfig(kubeconfig, { token: SA_TOKEN });
  const r =
    what === 'diagnose'
      ? await runCliInProcess(['diagnose', '--kubeconfig', kubeconfig, '--watch', '1s', '--since', '30m'])
      : await runCliInProcess([
          'fix',
          'patch',
          '--kubeconfig',
          kubeconfig,
          '--cluster',
          CLUSTER,
          '--node',
          NODE,
          '--yes',
        ]);
  const forbidden = ground.standin.requests
    .filter((q) => q.status === 403)
    .map((q) => ({ method: q.method, path: q.path }));
  const used = new Set<string>();
  for (const q of ground.standin.requests.filter((q) => q.cluster === 'local')) {
    const route = parseApiPath(q.apiPath);
    if (route.type !== 'resource') continue;
    const verb = verbOf(q.method, route.name !== null, new URLSearchParams(q.query));
    const resource = route.subresource ? `${route.resource}/${route.subresource}` : route.resource;
    used.add(`${verb} ${route.group}/${resource}`);
  }
  return { code: r.code, output: `${r.stdout}\n${r.stderr}`, forbidden, used };
}

describe('as the service account of the manifests, under RBAC', () => {
  it('the read-only RBAC: the whole diagnosis, no 403', async () => {
    const r = await runAs(rbacObjects(readOnly), 'diagnose');
    expect(r.forbidden).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(NODE);
    expect(r.output).toMatch(/Done — 1 finding, 0 problems/);
  });

  it('the read-only RBAC refuses the patch, and the CLI says what was refused', async () => {
    const r = await runAs(rbacObjects(readOnly), 'fix');
    expect(r.forbidden.map((f) => f.method)).toContain('PATCH');
    expect(r.output).toMatch(/forbidden/i);
    expect(r.output).toContain('nodes');
    expect(ground!.standin.requests.filter((q) => q.method === 'PATCH' && q.status === 200)).toEqual([]);
  });

  it('the remediation RBAC: the patch applied, no 403', async () => {
    const r = await runAs(rbacObjects(remediation), 'fix');
    expect(r.forbidden).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`Applied to ${CLUSTER}/${NODE}`);
  });

  const checked = (manifests: Manifest[], kind: 'read' | 'write') =>
    atomsOf(manifests).filter(
      (a) => !NOT_READ_YET.has(atomName(a)) && (kind === 'read' ? true : a.role.includes('remediate')),
    );

  it('without any one rule, the diagnosis or the patch meets a 403 that its output names', async () => {
    const atoms = [
      ...checked(readOnly, 'read').map((a) => [a, 'diagnose'] as const),
      ...checked(remediation, 'write').map((a) => [a, 'fix'] as const),
    ];
    const unnamed: string[] = [];
    for (const [atom, what] of atoms) {
      // Some reads are the patch's alone (the node CRD, one node object): tried with both.
      let r = what === 'diagnose' ? await runAs(without(readOnly, atom), 'diagnose') : null;
      await closeGround();
      if (!r || r.forbidden.length === 0) r = await runAs(without(remediation, atom), 'fix');
      await closeGround();
      // The line saying what was refused: the verb, the resource and the 403.
      const named =
        r.forbidden.length > 0 &&
        r.output
          .split('\n')
          .some((l) => l.includes(atom.verb) && l.includes(atom.resource) && /403|forbidden/i.test(l));
      if (!named)
        unnamed.push(`${atomName(atom)}: ${r.forbidden.length} refused; output: ${r.output.slice(0, 300)}`);
    }
    expect(unnamed).toEqual([]);
  });

  it('every rule is needed by the diagnosis or the patch, but those granted ahead of the code', async () => {
    const used = new Set<string>();
    for (const what of ['diagnose', 'fix'] as const) {
      const r = await runAs(rbacObjects(remediation), what);
      expect(r.forbidden).toEqual([]);
      for (const atom of r.used) used.add(atom);
      await closeGround();
    }
    const granted = atomsOf(remediation).map(atomName);
    expect(granted.filter((a) => !NOT_READ_YET.has(a) && !used.has(a))).toEqual([]);
    // The day one of these is read, move it out of NOT_READ_YET: the test above then checks it.
    expect([...NOT_READ_YET].filter((a) => used.has(a))).toEqual([]);
    expect([...used].filter((a) => !granted.includes(a))).toEqual([]);
  });
});
