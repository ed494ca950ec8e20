/**
 * `npm run bench -- diagnose`: `rancher-doctor diagnose --json` (the built CLI) against
 * `kubectl get ... -o json | jq` selecting the same suspects (machine- node objects without
 * status.rkeNode in RKE1 clusters), over a stand-in holding 20,000 node objects in 1,000 cluster
 * namespaces. Target: ours <= 0.5 x kubectl + jq.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCli, runProcess } from './process.js';
import { generateLargeScenario, startStandin } from '../test/standin/index.js';

const CLUSTERS = 1000;
const NODES_PER_CLUSTER = 20;
const ORPHANS = 5;
const RUNS = 3;

/** jq: RKE1 cluster ids from the cluster list, then machine- nodes without rkeNode in them. */
const JQ_FILTER = [
  '($clusters[0].items | map(select(.status.driver == "rancherKubernetesEngine") | .metadata.name)) as $rke',
  '| .items[]',
  '| select((.metadata.name | startswith("machine-")) and .status.rkeNode == null and (.spec.imported != true))',
  '| select(.metadata.namespace as $ns | $rke | index($ns))',
  '| "\\(.metadata.namespace)/\\(.metadata.name)"',
].join(' ');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(_args: string[]): Promise<void> {
  if (!existsSync('/usr/bin/jq')) {
    console.log('jq is missing: apt-get install jq');
    return;
  }
  const cli = buildCli().bin;

  const scenario = generateLargeScenario({
    clusters: CLUSTERS,
    nodesPerCluster: NODES_PER_CLUSTER,
    orphans: ORPHANS,
    seed: 7,
  });
  // kubectl sends no bearer token over plain http: let it in as the anonymous user.
  const standin = await startStandin({ scenario, loopIntervalMs: null, anonymousUser: 'system:anonymous' });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-diagnose-'));
  try {
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await standin.writeKubeconfig(kubeconfig);
    const env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      RANCHER_URL: standin.url,
      RANCHER_TOKEN: standin.rancherToken,
      LOG_LEVEL: 'silent',
    };
    const clustersFile = path.join(dir, 'clusters.json');
    const pipeline = [
      `kubectl --kubeconfig ${kubeconfig} get clusters.management.cattle.io -o json > ${clustersFile}`,
      `kubectl --kubeconfig ${kubeconfig} get nodes.management.cattle.io -A -o json | /usr/bin/jq -r --slurpfile clusters ${clustersFile} '${JQ_FILTER}'`,
    ].join(' && ');
    writeFileSync(path.join(dir, 'pipeline.sh'), `${pipeline}\n`);
    console.log(
      `stand-in: ${CLUSTERS} clusters x ${NODES_PER_CLUSTER} node objects, ${ORPHANS} orphans at ${standin.url}`,
    );
    console.log(`reference: ${pipeline}`);

    const ours: number[] = [];
    const theirs: number[] = [];
    let ourSuspects: string[] = [];
    let theirSuspects: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await runProcess(cli, ['diagnose', '--json', '--watch', '0'], env);
      ours.push(a.ms);
      const report = JSON.parse(a.stdout) as { findings: { kind: string; id: string }[] };
      ourSuspects = report.findings
        .filter((f) => f.kind === 'orphaned-machine-node')
        .map((f) => f.id)
        .sort();
      const b = await runProcess('bash', ['-o', 'pipefail', path.join(dir, 'pipeline.sh')], env);
      if (b.code !== 0) throw new Error(`the kubectl | jq reference failed with exit code ${b.code}`);
      theirs.push(b.ms);
      theirSuspects = b.stdout.split('\n').filter(Boolean).sort();
    }
    const o = median(ours);
    const t = median(theirs);
    const same = JSON.stringify(ourSuspects) === JSON.stringify(theirSuspects);
    console.log(
      `rancher-doctor diagnose --json --watch 0: median ${o.toFixed(0)} ms (runs: ${ours.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `kubectl get -o json | jq:                median ${t.toFixed(0)} ms (runs: ${theirs.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `ratio ours/reference: ${(o / t).toFixed(2)} (target <= 0.5: ${o / t <= 0.5 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `same suspects: ${same ? 'yes' : 'NO'} (ours ${ourSuspects.length}, reference ${theirSuspects.length})`,
    );
    if (!same) {
      console.log(`  ours:      ${ourSuspects.join(' ')}`);
      console.log(`  reference: ${theirSuspects.join(' ')}`);
    }
  } finally {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
