import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { internalIp, nodeRoles } from '../../diagnosis/nodes.js';
import type { PatchPlan, UnderivableValue } from '../../diagnosis/types.js';
import type { ManagementNode } from '../../diagnosis/objects.js';
import { applyMergePatch } from './merge-patch.js';
import { patchBasis } from './patch-basis.js';

/**
 * The patch fix: write the status.rkeNode and spec.customConfig a registered node would have.
 * Every value comes from the node's own object or from a healthy sibling; whatever cannot be
 * derived is left out, named in `underivable`, and the plan is marked incomplete. Pure.
 */

/**
 * customConfig keys not copied from the sibling: its host's addresses and secrets, and
 * dockerSocket, which the registering agent never sends (a registered node has none unless a
 * person set it for that host).
 */
const NOT_COPIED_FROM_SIBLING = new Set(['address', 'internalAddress', 'sshKey', 'sshCert', 'dockerSocket']);

export function buildPatchPlan(node: ManagementNode, sibling: ManagementNode | null): PatchPlan {
  const clusterId = node.metadata.namespace ?? '';
  const nodeId = node.metadata.name;
  const underivable: UnderivableValue[] = [];
  const derivedFrom: Record<string, string> = {};
  const siblingName = sibling ? `sibling ${sibling.metadata.name}` : null;
  const siblingRke = sibling?.status.rkeNode ?? null;
  const siblingCustom = sibling?.spec.customConfig ?? null;
  const noSibling =
    'no healthy sibling (a node object of the same cluster with status.rkeNode) to copy it from';

  const set = (
    target: Record<string, unknown>,
    field: string,
    path: string,
    value: unknown,
    source: string,
  ) => {
    target[field] = value;
    derivedFrom[path] = source;
  };
  const ip = internalIp(node);
  const roles = nodeRoles(node);

  const rkeNode: Record<string, unknown> = {};
  if (node.status.rkeNode == null) {
    if (ip)
      set(
        rkeNode,
        'address',
        'status.rkeNode.address',
        ip,
        'status.internalNodeStatus.addresses (InternalIP)',
      );
    else
      underivable.push({
        field: 'status.rkeNode.address',
        reason: 'the node object has no InternalIP in status.internalNodeStatus.addresses',
      });

    if (ip && siblingRke?.internalAddress) {
      set(
        rkeNode,
        'internalAddress',
        'status.rkeNode.internalAddress',
        ip,
        'status.internalNodeStatus.addresses (InternalIP); the sibling sets one',
      );
    }

    if (node.spec.requestedHostname) {
      set(
        rkeNode,
        'hostnameOverride',
        'status.rkeNode.hostnameOverride',
        node.spec.requestedHostname,
        'spec.requestedHostname',
      );
    } else {
      underivable.push({
        field: 'status.rkeNode.hostnameOverride',
        reason: 'the node object has no spec.requestedHostname',
      });
    }

    set(rkeNode, 'nodeName', 'status.rkeNode.nodeName', `${clusterId}:${nodeId}`, '<cluster-id>:<node-id>');

    if (siblingRke?.port) set(rkeNode, 'port', 'status.rkeNode.port', siblingRke.port, siblingName!);
    else
      underivable.push({
        field: 'status.rkeNode.port',
        reason: sibling ? `${siblingName} has no status.rkeNode.port` : noSibling,
      });

    if (roles.length)
      set(rkeNode, 'role', 'status.rkeNode.role', roles, 'spec.etcd / spec.controlPlane / spec.worker');
    else
      underivable.push({
        field: 'status.rkeNode.role',
        reason: 'spec.etcd, spec.controlPlane and spec.worker are all unset',
      });

    if (siblingRke?.user) set(rkeNode, 'user', 'status.rkeNode.user', siblingRke.user, siblingName!);
    else
      underivable.push({
        field: 'status.rkeNode.user',
        reason: sibling ? `${siblingName} has no status.rkeNode.user` : noSibling,
      });
    // No dockerSocket: setupCustom() copies it from customConfig, where the agent never puts one.
  }

  const customConfig: Record<string, unknown> = {};
  if (node.spec.customConfig == null) {
    if (ip)
      set(
        customConfig,
        'address',
        'spec.customConfig.address',
        ip,
        'status.internalNodeStatus.addresses (InternalIP)',
      );
    else
      underivable.push({
        field: 'spec.customConfig.address',
        reason: 'the node object has no InternalIP in status.internalNodeStatus.addresses',
      });
    if (ip && siblingCustom?.internalAddress) {
      set(
        customConfig,
        'internalAddress',
        'spec.customConfig.internalAddress',
        ip,
        'status.internalNodeStatus.addresses (InternalIP); the sibling sets one',
      );
    }
    if (siblingCustom) {
      for (const [key, value] of Object.entries(siblingCustom)) {
        if (NOT_COPIED_FROM_SIBLING.has(key) || value === undefined || value === null || value === '')
          continue;
        set(customConfig, key, `spec.customConfig.${key}`, structuredClone(value), siblingName!);
      }
    } else if (siblingRke?.user) {
      set(
        customConfig,
        'user',
        'spec.customConfig.user',
        siblingRke.user,
        `${siblingName} (status.rkeNode.user; it has no customConfig)`,
      );
    }
    if (!('user' in customConfig)) {
      underivable.push({
        field: 'spec.customConfig.user',
        reason: sibling ? `${siblingName} has no user in customConfig or rkeNode` : noSibling,
      });
    }
  }

  const mergePatch: Record<string, unknown> = {};
  if (Object.keys(customConfig).length) mergePatch.spec = { customConfig };
  if (Object.keys(rkeNode).length) mergePatch.status = { rkeNode };

  return {
    clusterId,
    nodeId,
    resourceVersion: node.metadata.resourceVersion ?? '',
    mergePatch,
    diff: objectDiff(node, mergePatch),
    complete: underivable.length === 0 && Object.keys(mergePatch).length > 0,
    underivable: underivable.map((u) => ({ ...u, fillIn: fillIn(u.field, clusterId, node) })),
    derivedFrom,
    basis: patchBasis(node),
    siblingId: sibling?.metadata.name ?? null,
  };
}

/** What a person must write for a value the plan could not derive, and where to find it. */
function fillIn(field: string, clusterId: string, node: ManagementNode): string {
  const host = node.status.nodeName ?? node.spec.requestedHostname ?? 'the host';
  const healthy = `as in a healthy node object of ${clusterId} (kubectl get nodes.management.cattle.io -n ${clusterId} <m-node> -o yaml)`;
  switch (field) {
    case 'status.rkeNode.address':
    case 'spec.customConfig.address':
      return `the IP address the other nodes reach ${host} on: its InternalIP (kubectl get node ${host} -o wide in the downstream cluster)`;
    case 'status.rkeNode.hostnameOverride':
      return `the host's name as its Kubernetes node is called (kubectl get nodes in the downstream cluster; here most likely ${host})`;
    case 'status.rkeNode.port':
      return `the SSH port, as a string, ${healthy}: normally "22"`;
    case 'status.rkeNode.role':
      return `the roles ${host} was registered with, a list of etcd, controlplane and worker (its Kubernetes node's node-role.kubernetes.io labels tell)`;
    case 'status.rkeNode.user':
    case 'spec.customConfig.user':
      return `the user RKE uses on the host (status.rkeNode.user), ${healthy}: often root`;
    default:
      return `the value ${healthy}`;
  }
}

/** managedFields are noise to a reader and not what the patch changes. */
function forDisplay(object: unknown): unknown {
  const copy = structuredClone(object) as { metadata?: Record<string, unknown> };
  if (copy.metadata) delete copy.metadata.managedFields;
  return copy;
}

export function objectDiff(object: ManagementNode, mergePatch: Record<string, unknown>): string {
  const before = forDisplay(object);
  const after = applyMergePatch(before, mergePatch);
  const name = `nodes.management.cattle.io/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  return createTwoFilesPatch(
    `${name} (now)`,
    `${name} (patched)`,
    stringify(before, { sortMapEntries: false }),
    stringify(after, { sortMapEntries: false }),
    undefined,
    undefined,
    { context: 3 },
  );
}
