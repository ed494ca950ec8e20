import type { DrainPlan, PodRef, RegistrationRef, RemovalTarget } from '../../diagnosis/types.js';
import { displayVersion, keepsMachineWhenNodeDeleted } from '../../diagnosis/rancher-version.js';
import type { Role } from '../../diagnosis/nodes.js';
import type { KubeNode, Pod, PodDisruptionBudget, RegistrationToken } from '../../diagnosis/objects.js';
import { plural } from '../../text/plural.js';

/**
 * The drain fix: cordon, drain and delete the Kubernetes node downstream, confirm it is gone,
 * clean the host and register it again. Pure: the pods, PDBs and token are read by the caller.
 */

export interface DrainInput {
  clusterId: string;
  nodeId: string;
  /** null when the node could not be found or the cluster could not be read. */
  downstreamNodeName: string | null;
  /** null when the pods on the node could not be listed. */
  podsOnNode: Pod[] | null;
  pdbs: PodDisruptionBudget[] | null;
  /** null when the tokens could not be read. */
  registrationTokens: RegistrationToken[] | null;
  roles: Role[];
  /** Things that could not be read, stated in the plan. */
  notes?: string[];
  /** False when the downstream cluster's nodes could not be listed. */
  downstreamRead?: boolean;
  /** kubectl flags that reach the downstream cluster the way the diagnosis did; null when it did not. */
  downstreamKubectl?: string | null;
  /** Where Rancher provisions the host: what is deleted in the local cluster instead of the Kubernetes node. */
  removal?: RemovalTarget;
  /** settings server-version, for what removal does in this version; null when not known. */
  rancherVersion?: string | null;
  /** Every Kubernetes node of the downstream cluster, to tell whether this one holds a role alone; null when not read. */
  downstreamNodes?: KubeNode[] | null;
}

type ControlRole = 'etcd' | 'controlplane';

/** The labels RKE1 (`controlplane`), RKE2/k3s and kubeadm (`control-plane`, `master`) put on a node of each role. */
const ROLE_LABELS: Record<ControlRole, string[]> = {
  etcd: ['node-role.kubernetes.io/etcd'],
  controlplane: [
    'node-role.kubernetes.io/controlplane',
    'node-role.kubernetes.io/control-plane',
    'node-role.kubernetes.io/master',
  ],
};

function labelledRoles(node: KubeNode): ControlRole[] {
  const labels = node.metadata.labels ?? {};
  const has = (key: string) => key in labels && labels[key] !== 'false';
  return (Object.keys(ROLE_LABELS) as ControlRole[]).filter((r) => ROLE_LABELS[r].some(has));
}

/**
 * The control roles the node holds (by its Rancher roles or its labels) that no other node of the
 * cluster holds: the cluster would lose its etcd quorum or its apiserver with it.
 */
export function lastOfRole(nodeName: string, roles: Role[], nodes: KubeNode[]): ControlRole[] {
  const self = nodes.find((n) => n.metadata.name === nodeName);
  const held = new Set<ControlRole>(self ? labelledRoles(self) : []);
  for (const r of roles) if (r === 'etcd' || r === 'controlplane') held.add(r);
  const others = nodes.filter((n) => n.metadata.name !== nodeName && !n.metadata.deletionTimestamp);
  return (['etcd', 'controlplane'] as const).filter(
    (r) => held.has(r) && !others.some((n) => labelledRoles(n).includes(r)),
  );
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

function ownerOf(pod: Pod): { kind: string; name: string } | null {
  const refs = pod.metadata.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  return ref ? { kind: ref.kind, name: ref.name } : null;
}

function podRef(pod: Pod): PodRef {
  const owner = ownerOf(pod);
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    owner: owner ? `${owner.kind}/${owner.name}` : null,
  };
}

type Selector = NonNullable<PodDisruptionBudget['spec']['selector']>;

export function selectorMatches(
  selector: Selector | null | undefined,
  labels: Record<string, string>,
): boolean {
  // A PDB with no (or an empty) selector selects no pods in policy/v1.
  if (!selector) return false;
  const match = selector.matchLabels ?? {};
  const exprs = selector.matchExpressions ?? [];
  if (Object.keys(match).length === 0 && exprs.length === 0) return false;
  for (const [k, v] of Object.entries(match)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** What a public copy of the registration command shows where the token was. */
export const REGISTRATION_TOKEN_MASK = '<registration token>';

/** The token whose command registers a node: the cluster's default one when it has a command. */
export function registrationToken(tokens: RegistrationToken[], name?: string): RegistrationToken | null {
  const withCommand = tokens.filter((t) => t.status.nodeCommand?.trim());
  if (name !== undefined) return withCommand.find((t) => t.metadata.name === name) ?? null;
  return withCommand.find((t) => t.metadata.name === 'default-token') ?? withCommand[0] ?? null;
}

/**
 * The full registration command, token included: only for the approver who asked for it, and
 * never stored. `name` picks the token the diagnosis named.
 */
export function registrationCommand(
  tokens: RegistrationToken[],
  roles: Role[],
  name?: string,
): string | null {
  const command = registrationToken(tokens, name)?.status.nodeCommand?.trim();
  if (!command) return null;
  return [command, ...roles.map((r) => `--${r}`)].join(' ');
}

/**
 * The command with its token masked: the value of every `--token` flag, and the token's own value
 * (status.token) wherever else it appears (in a URL, say). null when no token was found in it:
 * a command of a form not known here could hold the token where this cannot see it, so it is not
 * shown at all rather than shown whole.
 */
export function maskRegistrationToken(command: string, knownTokens: string[] = []): string | null {
  let masked = command.replace(
    /(--token(?:=|\s+))("[^"]*"|'[^']*'|\S+)/g,
    (_m, flag: string) => `${flag}${REGISTRATION_TOKEN_MASK}`,
  );
  // Short values would match unrelated text; Rancher's tokens are 54 characters.
  for (const t of knownTokens) if (t.length >= 16) masked = masked.split(t).join(REGISTRATION_TOKEN_MASK);
  return masked === command ? null : masked;
}

function registrationRef(tokens: RegistrationToken[], roles: Role[]): RegistrationRef | null {
  const token = registrationToken(tokens);
  const command = token ? registrationCommand([token], roles) : null;
  if (!token || !command) return null;
  const secrets = [token.status.token].filter((t): t is string => typeof t === 'string');
  return {
    tokenName: token.metadata.name,
    roles: [...roles],
    maskedCommand: maskRegistrationToken(command, secrets),
  };
}

export function hasEmptyDir(pod: Pod): boolean {
  const volumes = (pod.spec as { volumes?: { emptyDir?: unknown }[] | null }).volumes ?? [];
  return volumes.some((v) => v.emptyDir !== undefined && v.emptyDir !== null);
}

/** Whether drain leaves the pod where it is (a mirror pod, a DaemonSet's), and why. */
export function leftByDrain(pod: Pod): string | null {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined)
    return 'mirror pod of a static pod: the kubelet owns it, drain leaves it';
  if (ownerOf(pod)?.kind === 'DaemonSet') return 'DaemonSet pod: drain leaves it (--ignore-daemonsets)';
  return null;
}

export { ownerOf as podOwner };

export function buildDrainPlan(input: DrainInput): DrainPlan {
  const notes = [...(input.notes ?? [])];
  const evict: PodRef[] = [];
  const leave: (PodRef & { reason: string })[] = [];
  const evicted: Pod[] = [];
  let needsEmptyDir = false;
  let needsForce = false;

  for (const pod of input.podsOnNode ?? []) {
    const owner = ownerOf(pod);
    const left = leftByDrain(pod);
    if (left) {
      leave.push({ ...podRef(pod), reason: left });
    } else {
      const emptyDir = hasEmptyDir(pod);
      evict.push({
        ...podRef(pod),
        ...(emptyDir ? { emptyDir: true as const } : {}),
        ...(!owner ? { noController: true as const } : {}),
      });
      evicted.push(pod);
      if (emptyDir) needsEmptyDir = true;
      if (!owner) needsForce = true;
    }
  }
  if (input.podsOnNode === null) notes.push('the pods on the node could not be listed: drain will show them');

  const blocking: DrainPlan['blockingPodDisruptionBudgets'] = [];
  for (const pdb of input.pdbs ?? []) {
    const ns = pdb.metadata.namespace ?? 'default';
    const matched = evicted.filter(
      (p) =>
        (p.metadata.namespace ?? 'default') === ns &&
        selectorMatches(pdb.spec.selector, p.metadata.labels ?? {}),
    );
    if (!matched.length) continue;
    const allowed = pdb.status.disruptionsAllowed;
    if (allowed === undefined || allowed < matched.length) {
      blocking.push({
        namespace: ns,
        name: pdb.metadata.name,
        reason:
          allowed === undefined
            ? `selects ${plural(matched.length, 'pod')} on this node; its allowed disruptions are unknown`
            : `allows ${plural(allowed, 'disruption')} now and selects ${plural(matched.length, 'pod')} on this node: eviction gets 429 until replicas elsewhere are ready`,
      });
    }
  }
  if (input.pdbs === null)
    notes.push('PodDisruptionBudgets could not be listed: some evictions may be refused');

  const node = input.downstreamNodeName;
  const removal = input.removal;
  const registers = !removal?.replaced;
  const registration =
    registers && input.registrationTokens ? registrationRef(input.registrationTokens, input.roles) : null;
  if (registers) notes.push(...registrationNotes(input, registration));

  const steps: string[] = [];
  if (node) {
    const drainFlags = [
      '--ignore-daemonsets',
      needsEmptyDir ? '--delete-emptydir-data' : null,
      needsForce ? '--force' : null,
      '--timeout=10m',
    ]
      .filter(Boolean)
      .join(' ');
    const downstreamSteps = removal ? '1-2' : '1-4';
    steps.push(
      `kubectl cordon ${node}   # steps ${downstreamSteps} in downstream cluster ${input.clusterId} (Rancher's kubeconfig for it, or RANCHER_URL/k8s/clusters/${input.clusterId})`,
    );
    steps.push(`kubectl drain ${node} ${drainFlags}`);
    if (!removal) {
      steps.push(`kubectl delete node ${node}`);
      steps.push(`kubectl get node ${node}   # must answer NotFound`);
    }
  } else {
    notes.push(
      'the Kubernetes node for this object was not found downstream (or could not be read): check with kubectl get nodes -o wide there',
    );
  }
  if (removal) {
    steps.push(...removalSteps(input, removal, node));
    notes.push(...removalNotes(input, removal));
  } else {
    steps.push(
      `kubectl get nodes.management.cattle.io -n ${input.clusterId} ${input.nodeId}   # in the local cluster: Rancher removes it once the node is gone`,
    );
  }
  if (registers) {
    steps.push(
      removal
        ? 'clean the host: uninstall RKE2/k3s and rancher-system-agent (Rancher docs: "Removing Kubernetes Components from Nodes")'
        : 'clean the host: remove its containers and Rancher/Kubernetes state (Rancher docs: "Removing Kubernetes Components from Nodes")',
    );
    steps.push(
      registration?.maskedCommand
        ? `register the host again: ${registration.maskedCommand}`
        : `register the host again with the cluster's registration command${input.roles.length ? ` and ${input.roles.map((r) => `--${r}`).join(' ')}` : ''}`,
    );
  }
  if (needsForce)
    notes.push('some pods have no controller: drain needs --force and they will not come back elsewhere');

  const alone = node && input.downstreamNodes ? lastOfRole(node, input.roles, input.downstreamNodes) : null;
  return {
    clusterId: input.clusterId,
    nodeId: input.nodeId,
    downstreamNode: node,
    ...(input.downstreamRead === undefined ? {} : { downstreamRead: input.downstreamRead }),
    evict,
    leave,
    blockingPodDisruptionBudgets: blocking,
    ...(alone ? { lastOfRole: alone } : {}),
    steps,
    registration,
    notes,
    downstreamKubectl: input.downstreamKubectl ?? null,
    ...(removal ? { removal } : {}),
  };
}

function registrationNotes(input: DrainInput, registration: RegistrationRef | null): string[] {
  if (input.registrationTokens === null)
    return [
      `the cluster's registration token could not be read: copy the registration command from Rancher (Cluster Management > ${input.clusterId} > Registration)`,
    ];
  if (registration !== null && registration.maskedCommand === null)
    return [
      `the registration command is not shown: its token could not be told apart in it. Copy it from Rancher (Cluster Management > ${input.clusterId} > Registration)`,
    ];
  if (registration === null)
    return [
      `no clusterregistrationtoken of ${input.clusterId} has status.nodeCommand: copy the registration command from Rancher's UI`,
    ];
  return [];
}

/** In the local cluster: delete what made the node, then see the node object go. */
function removalSteps(input: DrainInput, removal: RemovalTarget, node: string | null): string[] {
  const gone = `kubectl get nodes.management.cattle.io -n ${input.clusterId} ${input.nodeId}   # must answer NotFound once Rancher has removed the node`;
  if (removal.kind === 'node-pool-node')
    return [
      `kubectl delete nodes.management.cattle.io -n ${removal.namespace} ${removal.name ?? input.nodeId}   # in the local cluster: Rancher deletes the host and its node pool makes a new one (or scale the pool down in Rancher)`,
      gone,
    ];
  const replaced = removal.replaced ? ': its MachineSet makes a new one' : '';
  const del = removal.name
    ? `kubectl delete machines.cluster.x-k8s.io -n ${removal.namespace} ${removal.name}   # in the local cluster: Rancher removes the node with its Machine${replaced}`
    : `kubectl get machines.cluster.x-k8s.io -n ${removal.namespace} -o wide   # in the local cluster: the Machine whose node is ${node ?? 'this host'}; kubectl delete it`;
  return [del, gone];
}

function removalNotes(input: DrainInput, removal: RemovalTarget): string[] {
  if (removal.kind !== 'capi-machine') return [];
  const version = input.rancherVersion ? displayVersion(input.rancherVersion) : null;
  const notes: string[] = [];
  if (!removal.name)
    notes.push(
      `no CAPI Machine was found for ${input.nodeId}: find it in ${removal.namespace} before deleting`,
    );
  const keeps = keepsMachineWhenNodeDeleted(input.rancherVersion);
  notes.push(
    keeps === false
      ? `before Rancher 2.7.7 (this one is ${version}) deleting the Kubernetes node also removed its Machine; deleting the Machine works in every version`
      : `since Rancher 2.7.7 deleting the Kubernetes node no longer removes its CAPI Machine (${version ? `this Rancher is ${version}` : "this Rancher's version is not known"}): delete the Machine, not the node`,
  );
  return notes;
}
