/**
 * Who writes a nodes.management.cattle.io object, and which fields each writer touches (DOMAIN.md,
 * "Who writes such an object, and what"). The field that flips on each write of a looping object
 * tells which writer is fighting. A writer's field is one path however deep its changes go: a
 * change anywhere in status.dockerInfo is the tunnel authorizer's.
 */
export interface NodeWriter {
  name: string;
  /** What it is, for a person. */
  what: string;
  /** Field paths it writes: a change at or under one of them is its. */
  fields: string[];
}

export const NODE_WRITERS: readonly NodeWriter[] = [
  {
    name: 'node-controller-sync',
    what: "Rancher's node controller: an unconditional update on every event from 2.6.11/2.7.0, stamping the Updated condition",
    fields: ['status.conditions[type=Updated]'],
  },
  {
    name: 'tunnel authorizer',
    what: "every node-agent request, the agent's 2-second poll for its plan among them (roles on /register)",
    fields: ['status.dockerInfo', 'spec.controlPlane', 'spec.etcd', 'spec.worker'],
  },
  {
    name: 'nodesyncer',
    what: 'mirrors the Kubernetes node: its status, labels, annotations, resources, roles, and from 2.6.3 the kubelet heartbeat in the Ready condition',
    fields: [
      'status.internalNodeStatus',
      'status.nodeLabels',
      'status.nodeAnnotations',
      'status.nodeName',
      'status.requested',
      'status.limits',
      'status.conditions[type=Ready]',
      'spec.controlPlane',
      'spec.etcd',
      'spec.worker',
    ],
  },
];

const under = (path: string, field: string) =>
  path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`);

/**
 * The writer field `path` lies under, to count it as (status.dockerInfo for any of its parts), else
 * null. A condition keeps its own path: which of its fields flips (a heartbeat's time, a status)
 * is the point.
 */
export function writerField(path: string, writers: readonly NodeWriter[] = NODE_WRITERS): string | null {
  let best: string | null = null;
  for (const w of writers)
    for (const f of w.fields)
      if (!f.includes('[') && under(path, f) && (!best || f.length < best.length)) best = f;
  return best;
}

/** The writers of the field a counted path is (or lies under). */
export function writersOf(path: string, writers: readonly NodeWriter[] = NODE_WRITERS): string[] {
  return writers.filter((w) => w.fields.some((f) => under(path, f))).map((w) => w.name);
}
