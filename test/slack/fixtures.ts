import type { DiagnosisReport, Finding, HotObject } from '../../src/diagnosis/types.js';
import type { JobRef } from '../../src/slack/render/job-messages.js';
import { HOT_NODE, HOT_NODE_REF } from '../support/hot-node.js';

export const job: JobRef = {
  jobId: 'dmabc123f00d',
  data: {
    v: 1,
    clusterId: 'c-dql6k',
    clusterName: 'prod-east',
    sinceSeconds: 1800,
    watchSeconds: null,
    channelId: 'C0OPS',
    requestedBy: 'U0ALICE',
    requestedAt: '2026-11-25T06:00:00.000Z',
  },
};

const hot: HotObject = {
  key: HOT_NODE,
  ref: { ...HOT_NODE_REF },
  verbs: { PUT: 5400, GET: 12 },
  writes: 5400,
  reads: 12,
  firstSeen: '2026-11-25T05:30:00Z',
  lastSeen: '2026-11-25T05:59:59Z',
  perMinute: [180, 180],
  perMinuteStart: '2026-11-25T05:30:00Z',
  rank: 1,
  writesPerMinute: 180,
  rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
};

const diff = [
  '--- c-dql6k/machine-h46dc (now)',
  '+++ c-dql6k/machine-h46dc (patched)',
  '@@ -10,3 +10,16 @@',
  ' spec:',
  '+  customConfig:',
  '+    address: 10.0.0.12',
  '+    internalAddress: 10.0.0.12',
  '+    user: root',
  ' status:',
  '+  rkeNode:',
  '+    address: 10.0.0.12',
  '+    hostnameOverride: worker-3',
  '+    nodeName: c-dql6k:machine-h46dc',
  '+    port: "22"',
  '+    role: [worker]',
  '+    user: root',
].join('\n');

/** The cluster's registration command: it carries the cluster's registration token. */
export const REGISTRATION_TOKEN = 'tok9zqxn7fm6dh2t5kgwd8xqp4tbgcmk6w7lzp2hvsrjtbx5nc6d2kqrg';
export const REGISTRATION_COMMAND = `sudo docker run -d --privileged --restart=unless-stopped --net=host rancher/rancher-agent:v2.6.5 --server https://rancher.example.com --token ${REGISTRATION_TOKEN} --worker`;
/** The command as a plan holds it: the token masked (the plan is posted and kept in Redis). */
export const MASKED_REGISTRATION_COMMAND = REGISTRATION_COMMAND.replace(
  REGISTRATION_TOKEN,
  '<registration token>',
);

export const finding: Finding = {
  id: 'c-dql6k/machine-h46dc',
  kind: 'orphaned-machine-node',
  objectKey: hot.key,
  clusterId: 'c-dql6k',
  clusterName: 'prod-east',
  nodeId: 'machine-h46dc',
  hostname: 'worker-3',
  ip: '10.0.0.12',
  writeRate: { writes: 5400, writesPerMinute: 180, source: 'apiserver-pod-logs', signal: 'satisfied-by' },
  writeRates: [
    {
      writes: 5400,
      writesPerMinute: 180,
      source: 'apiserver-pod-logs',
      signal: 'satisfied-by',
      description: 'pods kube-system/kube-apiserver-cp-1, last 30m',
      firstSeen: '2026-11-25T05:30:02Z',
      lastSeen: '2026-11-25T05:59:58Z',
    },
  ],
  cause: {
    code: 'm-object-deleted-node-kept',
    summary:
      'The node was deleted in Rancher while its Kubernetes node worker-3 stayed in the cluster, so Rancher made a new node object for it that it can never finish, and keeps rewriting it.',
    details: [
      'machine-h46dc is a machine- node object of RKE1 cluster c-dql6k, created by nodessyncer',
      'it lacks status.rkeNode and spec.customConfig, so the node agent can never get its plan',
      'no m- object describes this host, and Kubernetes node worker-3 is still in the downstream cluster',
    ],
  },
  fixAdvice: {
    fix: 'drain',
    reason:
      'worker-3 is still in c-dql6k: removing it and registering the host again ends the loop for good; the patch is for a node that cannot be removed',
  },
  confidence: 'high',
  missing: ['status.rkeNode', 'spec.customConfig'],
  sibling: { nodeId: 'm-7xk2p', hostname: 'worker-2' },
  agent: {
    namespace: 'cattle-system',
    podName: 'cattle-node-agent-x8w2q',
    waitingLines: 900,
    lastWaitingAt: '2026-11-25T05:59:58Z',
    errorLines: 0,
    sample: [
      'time="2026-11-25T05:59:56Z" level=info msg="Waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first"',
      'time="2026-11-25T05:59:58Z" level=info msg="Waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first"',
    ],
  },
  evidence: [
    { kind: 'apiserver-log', text: '5,400 PUTs of the object in 30 minutes' },
    {
      kind: 'node-object',
      text: 'c-dql6k/machine-h46dc: no status.rkeNode, no spec.customConfig; roles worker; addresses InternalIP=10.0.0.12 Hostname=worker-3',
    },
    { kind: 'downstream-node', text: 'Kubernetes node worker-3 is present in downstream cluster c-dql6k' },
  ],
  patchPlan: {
    clusterId: 'c-dql6k',
    nodeId: 'machine-h46dc',
    resourceVersion: '884213',
    mergePatch: { status: { rkeNode: { address: '10.0.0.12' } } },
    diff,
    complete: true,
    underivable: [],
    derivedFrom: { 'status.rkeNode.port': 'sibling m-7xk2p' },
  },
  drainPlan: {
    clusterId: 'c-dql6k',
    nodeId: 'machine-h46dc',
    downstreamNode: 'worker-3',
    evict: [{ namespace: 'default', name: 'web-5d9c7', owner: 'ReplicaSet/web-5d9' }],
    leave: [
      {
        namespace: 'cattle-system',
        name: 'cattle-node-agent-x8w2q',
        owner: 'DaemonSet/cattle-node-agent',
        reason: 'DaemonSet',
      },
    ],
    blockingPodDisruptionBudgets: [],
    steps: [
      'kubectl cordon worker-3',
      'kubectl drain worker-3 --ignore-daemonsets --delete-emptydir-data',
      'kubectl delete node worker-3',
      'clean the host: remove its containers and Rancher/Kubernetes state',
      `register the host again: ${MASKED_REGISTRATION_COMMAND}`,
    ],
    registration: {
      tokenName: 'default-token',
      roles: ['worker'],
      maskedCommand: MASKED_REGISTRATION_COMMAND,
    },
    notes: [],
  },
};

export const reportWithFinding: DiagnosisReport = {
  startedAt: '2026-11-25T06:00:01.000Z',
  finishedAt: '2026-11-25T06:00:09.000Z',
  scope: { clusterId: 'c-dql6k', sinceSeconds: 1800, watchSeconds: null, watchedSeconds: null },
  clusters: [
    { id: 'c-dql6k', name: 'prod-east', driver: 'rancherKubernetesEngine' },
    { id: 'local', name: 'local', driver: 'imported' },
  ],
  activity: [
    {
      source: 'apiserver-pod-logs',
      description: 'pods kube-system/kube-apiserver-cp-1, last 30m',
      summary: {
        signal: 'satisfied-by',
        signalsSeen: { 'satisfied-by': 32400 },
        formats: { klog: 32500 },
        bytesRead: 7_340_032,
        linesRead: 32500,
        linesSkipped: 0,
        requestsCounted: 5412,
        distinctObjects: 4,
        windowStart: '2026-11-25T05:30:00Z',
        windowEnd: '2026-11-25T05:59:59Z',
        hot: [hot],
      },
    },
  ],
  findings: [finding],
  problems: [],
};

export const reportNoFinding: DiagnosisReport = {
  ...reportWithFinding,
  activity: [
    {
      ...reportWithFinding.activity[0]!,
      summary: { ...reportWithFinding.activity[0]!.summary, hot: [], requestsCounted: 12 },
    },
  ],
  findings: [],
};

export const reportWithProblems: DiagnosisReport = {
  ...reportNoFinding,
  activity: [],
  problems: [
    {
      target: 'pods/log in kube-system (local cluster)',
      status: 403,
      message: 'pods "kube-apiserver-cp-1" is forbidden: cannot get resource "pods/log"',
      hint: "Grant the bot's service account get on pods/log in kube-system.",
    },
    {
      target: 'Rancher proxy /k8s/clusters/c-dql6k',
      status: null,
      message: 'connect ECONNREFUSED 10.0.0.1:443',
      hint: 'Check RANCHER_URL and that the Rancher server is reachable from the worker.',
    },
  ],
};

/** A report whose diff is far too long for one section: it must be cut and uploaded. */
export const reportLongDiff: DiagnosisReport = {
  ...reportWithFinding,
  findings: [
    {
      ...finding,
      patchPlan: {
        ...finding.patchPlan!,
        diff: Array.from({ length: 400 }, (_, i) => `+    label-${i}: value-${i}-${'x'.repeat(20)}`).join(
          '\n',
        ),
      },
    },
  ],
};

/** One finding in another cluster, where the patch is the fix advised. */
const stagingFinding: Finding = {
  ...finding,
  id: 'c-8kx2q/machine-p9w4r',
  objectKey: '/apis/management.cattle.io/v3/namespaces/c-8kx2q/nodes/machine-p9w4r',
  clusterId: 'c-8kx2q',
  clusterName: 'staging',
  nodeId: 'machine-p9w4r',
  hostname: 'stg-worker-1',
  ip: '10.1.0.21',
  writeRate: { ...finding.writeRate!, writes: 2850, writesPerMinute: 95 },
  writeRates: [{ ...finding.writeRates![0]!, writes: 2850, writesPerMinute: 95 }],
  fixAdvice: {
    fix: 'patch',
    reason:
      "c-8kx2q could not be read, so it is not known whether the node is there to drain; the patch needs only Rancher's local cluster",
  },
  drainPlan: { ...finding.drainPlan!, clusterId: 'c-8kx2q', nodeId: 'machine-p9w4r', downstreamRead: false },
};

/** Two findings in two clusters. */
export const reportTwoClusters: DiagnosisReport = {
  ...reportWithFinding,
  scope: { ...reportWithFinding.scope, clusterId: null },
  clusters: [
    ...reportWithFinding.clusters,
    { id: 'c-8kx2q', name: 'staging', driver: 'rancherKubernetesEngine' },
  ],
  findings: [stagingFinding, finding],
};

/** Ten findings in two clusters, least written first: the report shows the five worst. */
export const reportTenFindings: DiagnosisReport = {
  ...reportTwoClusters,
  findings: Array.from({ length: 10 }, (_, i) => {
    const base = i % 2 ? finding : stagingFinding;
    const rate = 40 + i * 25;
    return {
      ...base,
      id: `${base.clusterId}/machine-${i}x7k`,
      nodeId: `machine-${i}x7k`,
      hostname: `worker-${i + 10}`,
      ip: `10.0.${i % 2}.${30 + i}`,
      writeRate: { ...base.writeRate!, writes: rate * 30, writesPerMinute: rate },
      writeRates: [{ ...base.writeRates![0]!, writes: rate * 30, writesPerMinute: rate }],
    };
  }),
};

/** Many findings: the message must stay within 50 blocks. */
export const reportManyFindings: DiagnosisReport = {
  ...reportWithFinding,
  findings: Array.from({ length: 12 }, (_, i) => ({
    ...finding,
    id: `c-dql6k/machine-${i}`,
    nodeId: `machine-${i}`,
  })),
};

/** The same object seen by two sources: the apiserver logs and the churn watch. */
export const reportTwoSources: DiagnosisReport = {
  ...reportWithFinding,
  activity: [
    {
      ...reportWithFinding.activity[0]!,
      summary: {
        ...reportWithFinding.activity[0]!.summary,
        hot: [
          { ...hot, writesPerMinute: 1188.4, writes: 35652 },
          {
            ...hot,
            key: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
            ref: {
              group: 'coordination.k8s.io',
              version: 'v1',
              resource: 'leases',
              namespace: 'kube-system',
              name: 'kube-controller-manager',
              subresource: null,
            },
            rank: 2,
            writesPerMinute: 30,
            rancherNode: null,
          },
        ],
      },
    },
    {
      source: 'churn',
      description: 'watch on nodes.management.cattle.io in c-dql6k for 60s',
      summary: {
        ...reportWithFinding.activity[0]!.summary,
        signal: 'churn',
        signalsSeen: { churn: 205 },
        formats: {},
        bytesRead: 0,
        linesRead: 0,
        requestsCounted: 205,
        hot: [{ ...hot, writesPerMinute: 205, writes: 205 }],
      },
    },
  ],
};

/** The downstream cluster could not be reached: the drain plan knows neither the pods nor the PDBs. */
export const reportUnreachableDownstream: DiagnosisReport = {
  ...reportWithFinding,
  findings: [
    {
      ...finding,
      agent: null,
      fixAdvice: {
        fix: 'patch',
        reason:
          "c-dql6k could not be read, so it is not known whether the node is there to drain; the patch needs only Rancher's local cluster",
      },
      drainPlan: {
        ...finding.drainPlan!,
        downstreamRead: false,
        evict: [],
        leave: [],
        blockingPodDisruptionBudgets: [],
        notes: [
          'downstream cluster c-dql6k could not be reached: the node, its pods and PDBs are not known',
          'PodDisruptionBudgets could not be listed: some evictions may be refused',
        ],
      },
    },
  ],
};

/** Pods left alone and a PodDisruptionBudget in the way. */
export const reportBlockingPdb: DiagnosisReport = {
  ...reportWithFinding,
  findings: [
    {
      ...finding,
      drainPlan: {
        ...finding.drainPlan!,
        evict: [
          { namespace: 'default', name: 'web-5d9c7', owner: 'ReplicaSet/web-5d9' },
          { namespace: 'default', name: 'web-8f2k1', owner: 'ReplicaSet/web-5d9' },
        ],
        leave: [
          ...finding.drainPlan!.leave,
          {
            namespace: 'kube-system',
            name: 'canal-5xk8t',
            owner: 'DaemonSet/canal',
            reason: 'DaemonSet',
          },
          {
            namespace: 'kube-system',
            name: 'kube-proxy-worker-3',
            owner: null,
            reason: 'mirror pod of a static pod: the kubelet owns it, drain leaves it',
          },
        ],
        blockingPodDisruptionBudgets: [
          {
            namespace: 'default',
            name: 'web-pdb',
            reason:
              'allows 0 disruptions now and selects 2 pods on this node: eviction gets 429 until replicas elsewhere are ready',
          },
        ],
      },
    },
  ],
};

/** A patch with values that could not be derived: shown, never offered for approval. */
export const reportIncompletePatch: DiagnosisReport = {
  ...reportWithFinding,
  findings: [
    {
      ...finding,
      patchPlan: {
        ...finding.patchPlan!,
        complete: false,
        underivable: [
          { field: 'status.rkeNode.address', reason: 'the node object has no InternalIP address' },
          { field: 'spec.customConfig.address', reason: 'the node object has no InternalIP address' },
        ],
      },
    },
  ],
};

/**
 * A hot node of a Rancher-provisioned RKE2 cluster (v2prov) on Rancher v2.8.5: cause unknown, no
 * patch, a removal plan that deletes its CAPI Machine.
 */
export const reportV2prov: DiagnosisReport = {
  ...reportWithFinding,
  scope: { ...reportWithFinding.scope, clusterId: 'c-m-4x7bqz2n' },
  clusters: [{ id: 'c-m-4x7bqz2n', name: 'edge-rke2', driver: 'rke2' }],
  rancherVersion: 'v2.8.5',
  activity: [
    {
      ...reportWithFinding.activity[0]!,
      summary: {
        ...reportWithFinding.activity[0]!.summary,
        hot: [
          {
            ...hot,
            key: '/apis/management.cattle.io/v3/namespaces/c-m-4x7bqz2n/nodes/machine-rk2w1',
            ref: { ...hot.ref, namespace: 'c-m-4x7bqz2n', name: 'machine-rk2w1' },
            rancherNode: { clusterId: 'c-m-4x7bqz2n', nodeId: 'machine-rk2w1' },
          },
        ],
      },
    },
  ],
  findings: [
    {
      ...finding,
      id: 'c-m-4x7bqz2n/machine-rk2w1',
      kind: 'loop-unknown-cause',
      objectKey: '/apis/management.cattle.io/v3/namespaces/c-m-4x7bqz2n/nodes/machine-rk2w1',
      clusterId: 'c-m-4x7bqz2n',
      clusterName: 'edge-rke2',
      nodeId: 'machine-rk2w1',
      hostname: 'rke2-worker-1',
      ip: '10.20.0.21',
      cause: {
        code: 'unknown',
        summary: 'The object is rewritten in a loop, for a reason this diagnosis does not recognise.',
        details: [
          'cluster c-m-4x7bqz2n is an RKE2/k3s cluster provisioned by Rancher (v2prov): its node objects have no status.rkeNode by design, so that is not the fault here, and the patch is never for it',
          "its host is CAPI Machine fleet-default/custom-a41b7c2e0d96 (CustomMachine), phase Running, found by the node's cluster.x-k8s.io/machine annotation",
          'its host runs rancher-system-agent, not cattle-node-agent',
          "in Rancher v2.8.5 node-controller-sync updates the object on every event it gets (2.6.11+ and 2.7.0+), so two writers that each react to the other's write make a loop",
        ],
      },
      fixAdvice: {
        fix: 'none',
        reason:
          'the cause of these writes is not known, so no fix is known to fit: find which writer rewrites machine-rk2w1 first. The patch is never for a node whose host Rancher provisions; if the node must go, the removal plan is deleting its CAPI Machine fleet-default/custom-a41b7c2e0d96',
      },
      confidence: 'medium',
      missing: [],
      sibling: null,
      agent: null,
      evidence: [
        {
          kind: 'node-object',
          text: 'c-m-4x7bqz2n/machine-rk2w1: no status.rkeNode, no spec.customConfig; roles worker; addresses InternalIP=10.20.0.21 Hostname=rke2-worker-1',
        },
        {
          kind: 'node-object',
          text: "CAPI Machine fleet-default/custom-a41b7c2e0d96 is its host (the node's cluster.x-k8s.io/machine annotation)",
        },
        {
          kind: 'downstream-node',
          text: 'Kubernetes node rke2-worker-1 is present in downstream cluster c-m-4x7bqz2n',
        },
        {
          kind: 'note',
          text: 'v2prov hosts run rancher-system-agent (a systemd service), not cattle-node-agent: its log is on the host (journalctl -u rancher-system-agent)',
        },
      ],
      patchPlan: null,
      drainPlan: {
        clusterId: 'c-m-4x7bqz2n',
        nodeId: 'machine-rk2w1',
        downstreamNode: 'rke2-worker-1',
        downstreamRead: true,
        evict: [{ namespace: 'default', name: 'shop-7c9d8b6f5-k2x4q', owner: 'ReplicaSet/shop-7c9d8b6f5' }],
        leave: [],
        blockingPodDisruptionBudgets: [],
        steps: [
          'kubectl cordon rke2-worker-1   # steps 1-2 in downstream cluster c-m-4x7bqz2n',
          'kubectl drain rke2-worker-1 --ignore-daemonsets --timeout=10m',
          'kubectl delete machines.cluster.x-k8s.io -n fleet-default custom-a41b7c2e0d96   # in the local cluster: Rancher removes the node with its Machine',
          'kubectl get nodes.management.cattle.io -n c-m-4x7bqz2n machine-rk2w1   # must answer NotFound once Rancher has removed the node',
          'clean the host: uninstall RKE2/k3s and rancher-system-agent (Rancher docs: "Removing Kubernetes Components from Nodes")',
          "register the host again with the cluster's registration command and --worker",
        ],
        registration: null,
        notes: [
          'since Rancher 2.7.7 deleting the Kubernetes node no longer removes its CAPI Machine (this Rancher is v2.8.5): delete the Machine, not the node',
        ],
        downstreamKubectl: null,
        removal: {
          kind: 'capi-machine',
          namespace: 'fleet-default',
          name: 'custom-a41b7c2e0d96',
          replaced: false,
        },
      },
    },
  ],
};

/** A complete patch the checks would refuse (a node-pool node): shown, never offered for approval. */
export const reportIneligiblePatch: DiagnosisReport = {
  ...reportWithFinding,
  findings: [
    {
      ...finding,
      patchPlan: {
        ...finding.patchPlan!,
        ineligible:
          'machine-h46dc belongs to node pool c-dql6k:np-7hq2c: the patch is only for custom nodes, not node-driver pools',
      },
    },
  ],
};
