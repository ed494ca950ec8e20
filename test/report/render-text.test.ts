import { describe, expect, it } from '@jest/globals';
import { collectHeat, nodeFinding } from '../../src/diagnosis/findings.js';
import { analyzeNode, clusterFacts } from '../../src/diagnosis/nodes.js';
import { renderReport } from '../../src/report/render-text.js';
import type {
  DiagnosisReport,
  Finding,
  HotObject,
  WriteActivityEvidence,
} from '../../src/diagnosis/types.js';
import { buildDrainPlan } from '../../src/remediation/plans/drain-plan.js';
import { registrationTokenSchema } from '../../src/rancher/schemas.js';
import { buildPatchPlan } from '../../src/remediation/plans/patch-plan.js';
import { nodeObject, rkeCluster } from '../diagnosis/fixtures.js';
import { HOT_NODE, HOT_NODE_REF } from '../support/hot-node.js';

function hot(writes: number, writesPerMinute: number): HotObject {
  return {
    key: HOT_NODE,
    ref: { ...HOT_NODE_REF },
    verbs: { PUT: writes },
    writes,
    reads: 0,
    firstSeen: '2022-05-07T08:20:00.000Z',
    lastSeen: '2022-05-07T08:29:59.000Z',
    perMinute: [writes],
    perMinuteStart: '2022-05-07T08:20:00.000Z',
    rank: 1,
    writesPerMinute,
    rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
  };
}

function activity(
  source: WriteActivityEvidence['source'],
  description: string,
  h: HotObject,
): WriteActivityEvidence {
  return {
    source,
    description,
    summary: {
      signal: source === 'churn' ? 'churn' : 'httplog',
      signalsSeen: {},
      formats: {},
      bytesRead: 0,
      linesRead: 0,
      linesSkipped: 0,
      requestsCounted: h.writes,
      distinctObjects: 1,
      windowStart: null,
      windowEnd: null,
      hot: [h],
    },
  };
}

const cluster = clusterFacts(rkeCluster('c-dql6k', 'prod-east'));
const broken = nodeObject('machine-h46dc', { hostname: 'worker-3', ip: '10.0.3.17' });
const sibling = nodeObject('m-aaaaa', { rke: true });

function report(findings: Finding[], extra: Partial<DiagnosisReport> = {}): DiagnosisReport {
  return {
    startedAt: '2022-05-07T08:30:00.000Z',
    finishedAt: '2022-05-07T08:30:05.000Z',
    scope: { clusterId: null, sinceSeconds: 1800, watchSeconds: 5, watchedSeconds: 5 },
    clusters: [{ id: 'c-dql6k', name: 'prod-east', driver: 'rancherKubernetesEngine' }],
    activity: [],
    findings,
    problems: [],
    ...extra,
  };
}

const TOKEN = '9zqxn7fm6dh2t5kgwd8xqp4tbgcmk6w7lzp2hvsrjtbx5nc6d2kqrg';

function finding(
  withSibling: boolean,
  kubectl: string | null = null,
  registrationTokens: unknown[] = [],
): Finding {
  const analysis = analyzeNode(broken, withSibling ? [broken, sibling] : [broken], cluster, null);
  const heat = collectHeat([
    activity('apiserver-pod-logs', 'log of kube-system/kube-apiserver-cp-1, last 1800s', hot(410, 41)),
    activity('churn', 'watch on nodes.management.cattle.io for 5s', hot(99, 1188)),
  ]);
  return nodeFinding({
    analysis,
    heat: heat.get(HOT_NODE)!,
    agent: null,
    patchPlan: buildPatchPlan(broken, withSibling ? sibling : null),
    drainPlan: buildDrainPlan({
      clusterId: 'c-dql6k',
      nodeId: 'machine-h46dc',
      downstreamNodeName: 'worker-3',
      podsOnNode: [],
      pdbs: [],
      registrationTokens: registrationTokens.map((t) => registrationTokenSchema.parse(t)),
      roles: ['worker'],
      downstreamKubectl: kubectl,
    }),
    notes: [],
  });
}

describe('renderReport', () => {
  it('reads in the order of the Slack message: headline, cause, recommendation with its risk, then the details', () => {
    const text = renderReport(report([finding(true)]));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^rancher-doctor diagnosis of the one cluster: 1 object rewritten in a loop/);
    const at = lines.findIndex((l) => l.startsWith('Finding 1: '));
    // The headline is the best-founded rate: ten minutes of log, not five seconds of watch.
    expect(lines[at]).toBe(
      'Finding 1: prod-east (c-dql6k): node machine-h46dc (host worker-3, 10.0.3.17) rewritten 41.0 times a minute since 2022-05-07 08:20 UTC',
    );
    expect(lines[at + 1]).toMatch(/^ {2}Cause \(confidence high\): Rancher made a node object for this host/);
    expect(lines[at + 2]).toMatch(/^ {2}Recommended: Patch the node object: c-dql6k could not be read/);
    expect(lines[at + 3]).toMatch(/^ {4}Risk: Rancher then provisions the host/);
    expect(text.indexOf('evidence:')).toBeGreaterThan(text.indexOf('Recommended:'));
    expect(text.indexOf('What was read:')).toBeGreaterThan(text.indexOf('evidence:'));
  });

  it('states each source with its rate, what it counted and over how long, never an internal id', () => {
    const text = renderReport(report([finding(true)]));
    expect(text).not.toContain('churn, churn');
    expect(text).toContain(
      '- 1,188/min by the churn watch: 99 updates over 5 s, from 2022-05-07 08:20 UTC (watch MODIFIED events; watch on nodes.management.cattle.io for 5s)',
    );
    expect(text).toMatch(
      /- 41\.0\/min by the kube-apiserver pod log: 410 writes over .*, from 2022-05-07 08:20 UTC \(httplog access lines; log of kube-system\/kube-apiserver-cp-1, last 1800s\)/,
    );
    expect(text).not.toMatch(/\[(churn|apiserver-log|node-object)\]/);
  });

  it('a 1 s watch with too few writes is a lower bound: not the headline, and said as one over the second watched', () => {
    const analysis = analyzeNode(broken, [broken, sibling], cluster, null);
    const heat = collectHeat([
      activity('churn', 'watch on nodes.management.cattle.io for 1s', {
        ...hot(20, 20),
        observedSeconds: 1,
        lowerBound: true,
      }),
      activity('apiserver-pod-logs', 'log of kube-system/kube-apiserver-cp-1, last 1800s', {
        ...hot(103, 176),
        observedSeconds: 35,
      }),
    ]);
    const f = nodeFinding({
      analysis,
      heat: heat.get(HOT_NODE)!,
      agent: null,
      patchPlan: null,
      drainPlan: null,
      notes: [],
    });
    const text = renderReport(
      report([f], { scope: { clusterId: null, sinceSeconds: 1800, watchSeconds: 60, watchedSeconds: 1 } }),
    );
    expect(text).toContain('rewritten 176 times a minute');
    expect(text).toContain(
      '- 176/min by the kube-apiserver pod log: 103 writes over 35 s, from 2022-05-07 08:20 UTC (httplog access lines; ',
    );
    expect(text).toContain(
      '- at least 20/min by the churn watch: 20 updates in 1 s of watching, too few to measure a rate, from 2022-05-07 08:20 UTC (watch MODIFIED events; ',
    );
    expect(text).not.toMatch(/over 60 s|over 1 min/);
    // Only a lower bound: the headline says so.
    const alone = nodeFinding({
      analysis,
      heat: collectHeat([
        activity('churn', 'watch for 1s', { ...hot(20, 20), observedSeconds: 1, lowerBound: true }),
      ]).get(HOT_NODE)!,
      agent: null,
      patchPlan: null,
      drainPlan: null,
      notes: [],
    });
    expect(renderReport(report([alone]))).toContain('rewritten at least 20 times a minute');
  });

  it('says which field flips on each write and who writes it, with every path under it', () => {
    const f = finding(true);
    f.writeRates![1]!.fieldChanges = {
      source: 'audit-log',
      compared: 98,
      unchanged: 0,
      fields: [
        {
          path: 'status.conditions[type=Updated].lastUpdateTime',
          writes: 98,
          share: 1,
          writers: ['node-controller-sync'],
        },
      ],
      writers: [
        {
          name: 'node-controller-sync',
          share: 1,
          fields: ['status.conditions[type=Updated].lastUpdateTime'],
        },
      ],
      actors: [
        { user: 'system:serviceaccount:cattle-system:cattle', userAgent: 'rancher/v2.7.5', writes: 99 },
      ],
    };
    const text = renderReport(report([f]));
    expect(text).toContain(
      '    - which field flips (audit log): status.conditions[type=Updated].lastUpdateTime on 100% of 98 writes: node-controller-sync; sent by system:serviceaccount:cattle-system:cattle (rancher/v2.7.5)',
    );
    expect(text).toContain(
      '          status.conditions[type=Updated].lastUpdateTime: 98 (100%), written by node-controller-sync',
    );
    expect(text).toContain(
      '          sent by system:serviceaccount:cattle-system:cattle, user agent rancher/v2.7.5: 99 writes',
    );
  });

  it('a complete patch gets its apply command', () => {
    const text = renderReport(report([finding(true)]));
    expect(text).toContain('Patch the node object (complete)');
    expect(text).toContain(
      'apply: kubectl patch nodes.management.cattle.io -n c-dql6k machine-h46dc --type merge',
    );
  });

  it('an incomplete patch gets no apply command, and each missing value says what to fill in', () => {
    const f = finding(false);
    expect(f.patchPlan?.complete).toBe(false);
    const text = renderReport(report([f]));
    expect(text).toContain('INCOMPLETE, do not apply as is');
    expect(text).not.toContain('apply: kubectl patch');
    expect(text).not.toMatch(/kubectl patch .* -p '/);
    for (const u of f.patchPlan!.underivable) {
      expect(text).toContain(`${u.field}: ${u.reason}`);
    }
    expect(text).toMatch(/status\.rkeNode\.port: .*\n\s+fill in: the SSH port, as a string, .*normally "22"/);
    expect(text).toMatch(/status\.rkeNode\.user: .*\n\s+fill in: the user RKE uses on the host/);
  });

  it("names Rancher's version on the first line when it is known", () => {
    expect(renderReport(report([finding(true)], { rancherVersion: '2.6.5' })).split('\n')[0]).toMatch(
      /^rancher-doctor diagnosis of the one cluster \(Rancher v2\.6\.5\): 1 object rewritten in a loop/,
    );
    expect(renderReport(report([finding(true)], { rancherVersion: null })).split('\n')[0]).not.toContain(
      'Rancher v',
    );
  });

  it('says next to the patch what it sets off and where each value came from', () => {
    const text = renderReport(report([finding(true)]));
    expect(text).toContain(
      "    before applying: Applying it hands worker-3 to RKE: the next reconcile takes the host into prod-east's RKE config, so its roles (worker) and address (10.0.3.17) must be the host's real ones.",
    );
    const from = text.split('\n').find((l) => l.startsWith('    where each value came from: '))!;
    expect(from).toContain("address 10.0.3.17 from the node's InternalIP");
    expect(from).toContain('hostnameOverride worker-3 from the hostname (spec.requestedHostname)');
    expect(from).toContain("role worker from the node's roles");
    expect(from).toMatch(/port 22, user rancher.* from sibling m-aaaaa/);
    expect(text.indexOf('before applying:')).toBeLessThan(text.indexOf('    merge patch:'));
  });

  it('a patch the checks would refuse is not offered: no merge patch, no apply command, the reason', () => {
    const f = finding(true);
    f.patchPlan!.ineligible = 'c-m-4x7bqz2n is an RKE2/k3s cluster provisioned by Rancher (v2prov)';
    const text = renderReport(report([f]));
    expect(text).toContain(
      'Patch the node object: NOT FOR THIS NODE, do not apply: c-m-4x7bqz2n is an RKE2/k3s',
    );
    expect(text).not.toContain('apply: kubectl patch');
    expect(text).not.toContain('before applying:');
  });

  it('a removal through the CAPI Machine runs only its first two steps downstream', () => {
    const f = finding(true);
    f.patchPlan = null;
    f.drainPlan = buildDrainPlan({
      clusterId: 'c-m-4x7bqz2n',
      nodeId: 'machine-rk2w1',
      downstreamNodeName: 'rke2-worker-1',
      podsOnNode: [],
      pdbs: [],
      registrationTokens: [],
      roles: ['worker'],
      removal: {
        kind: 'capi-machine',
        namespace: 'fleet-default',
        name: 'custom-a41b7c2e0d96',
        replaced: false,
      },
      rancherVersion: '2.7.5',
    });
    const text = renderReport(report([f]));
    expect(text).toContain('steps 1-2 run in downstream cluster c-m-4x7bqz2n');
    expect(text).toContain(
      '3. kubectl delete machines.cluster.x-k8s.io -n fleet-default custom-a41b7c2e0d96',
    );
    expect(text).toContain(
      'note: before Rancher 2.7.7 (this one is v2.7.5) deleting the Kubernetes node also removed its Machine',
    );
    expect(text).not.toContain('kubectl delete node ');
  });

  it('says how to reach the downstream cluster for the drain steps', () => {
    const viaProxy = renderReport(
      report([
        finding(true, '--server https://rancher.example.com/k8s/clusters/c-dql6k --token "$RANCHER_TOKEN"'),
      ]),
    );
    expect(viaProxy).toContain(
      'steps 1-4 run in downstream cluster c-dql6k: kubectl --server https://rancher.example.com/k8s/clusters/c-dql6k --token "$RANCHER_TOKEN"',
    );
    const unknown = renderReport(report([finding(true)]));
    expect(unknown).toContain('the kubeconfig Rancher offers for c-dql6k');
    expect(unknown).toContain('kubectl --server "$RANCHER_URL/k8s/clusters/c-dql6k"');
    expect(unknown).toMatch(
      /1\. kubectl cordon worker-3 {3}# steps 1-4 in downstream cluster c-dql6k \(Rancher's kubeconfig/,
    );
  });

  it('shows the registration command with its token masked, and how to read it whole', () => {
    const token = {
      metadata: { name: 'default-token', namespace: 'c-dql6k' },
      status: { token: TOKEN, nodeCommand: `sudo docker run rancher/rancher-agent:v2.6.5 --token ${TOKEN}` },
    };
    const text = renderReport(report([finding(true, null, [token])]));
    expect(text).not.toContain(TOKEN);
    expect(text).toContain(
      'register the host again: sudo docker run rancher/rancher-agent:v2.6.5 --token <registration token> --worker',
    );
    expect(text).toContain(
      "the token is left out of this report; the full command is kubectl get clusterregistrationtokens.management.cattle.io -n c-dql6k default-token -o jsonpath='{.status.nodeCommand}', followed by --worker",
    );
  });

  it("a problem's hint says what to do, and is left out when it only repeats the message", () => {
    const text = renderReport(
      report([], {
        problems: [
          {
            target: 'pods in kube-system',
            status: 403,
            message: 'could not list pods in namespace kube-system (cluster local): HTTP 403',
            hint: 'the service account may not list pods in namespace kube-system: grant list on pods in namespace kube-system',
          },
          {
            target: 'x',
            status: null,
            message: 'set RANCHER_URL and RANCHER_TOKEN',
            hint: 'Set RANCHER_URL and RANCHER_TOKEN.',
          },
        ],
      }),
    );
    expect(text).toContain('    what to do: the service account may not list pods');
    expect(text).toContain('  - x: set RANCHER_URL and RANCHER_TOKEN\n');
    expect(text.match(/RANCHER_URL/g)).toHaveLength(1);
  });
});
