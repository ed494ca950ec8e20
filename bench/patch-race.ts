/**
 * `npm run bench -- patch-race`: how often fix A's write wins against the loop. The stand-in
 * rewrites machine-h46dc 20 times a second (the loop's timer at 50 ms); the executor re-reads the
 * object and sends a merge patch carrying its resourceVersion, retrying on 409 up to 10 times.
 * Each trial puts the broken object back and applies the plan once (dry run, then write); the
 * figures are per write attempt (how many won against the loop) and per trial (tries needed).
 * Run with and without 20 ms added to every request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRancherConfig } from '../src/config/rancher.js';
import { chooseSibling } from '../src/diagnosis/nodes.js';
import { createClusterAccess } from '../src/rancher/access.js';
import { patchPorts } from '../src/rancher/patch-ports.js';
import { memoryJournal } from '../src/remediation/apply/journal.js';
import { applyPatchPlan } from '../src/remediation/apply/patch.js';
import { buildPatchPlan } from '../src/remediation/plans/patch-plan.js';
import { startStandin } from '../test/standin/index.js';

const CLUSTER = 'c-dql6k';
const NODE = 'machine-h46dc';
const NODE_PATH = `/apis/management.cattle.io/v3/namespaces/${CLUSTER}/nodes/${NODE}`;
const LOOP_INTERVAL_MS = 50;
const TRIALS = 200;

export async function run(args: string[]): Promise<void> {
  const trials = Number(args.find((a) => a.startsWith('--trials='))?.split('=')[1] ?? TRIALS);
  for (const latencyMs of [0, 20]) await measure(latencyMs, trials);
}

async function measure(latencyMs: number, trials: number): Promise<void> {
  const standin = await startStandin({ loopIntervalMs: LOOP_INTERVAL_MS });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-patch-race-'));
  try {
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await standin.writeKubeconfig(kubeconfig);
    const access = createClusterAccess(
      loadRancherConfig(
        {},
        { kubeconfigPath: kubeconfig, rancherUrl: standin.url, rancherToken: standin.rancherToken },
      ),
    );
    const original = standin.get('local', NODE_PATH)!;
    const nodes = await access.listNodeObjects(CLUSTER);
    const node = nodes.find((n) => n.metadata.name === NODE)!;
    const plan = buildPatchPlan(node, chooseSibling(node, nodes));
    standin.setLatency(latencyMs);

    const tries: number[] = [];
    let failed = 0;
    let loopWrites = 0;
    const started = Date.now();
    for (let i = 0; i < trials; i++) {
      standin.put('local', original);
      // An approval comes at any moment of the loop's period, not in step with it.
      await new Promise((r) => setTimeout(r, Math.random() * LOOP_INTERVAL_MS * 2));
      const outcome = await applyPatchPlan(plan, patchPorts(access), memoryJournal());
      if (outcome.kind === 'applied') tries.push(outcome.attempts);
      else failed++;
    }
    loopWrites = standin.loop.writes(CLUSTER, NODE);
    const seconds = (Date.now() - started) / 1000;
    const attempts = tries.reduce((a, b) => a + b, 0);
    const first = tries.filter((t) => t === 1).length;
    const histogram = new Map<number, number>();
    for (const t of tries) histogram.set(t, (histogram.get(t) ?? 0) + 1);
    console.log(
      `added latency ${latencyMs} ms per request, loop at ${1000 / LOOP_INTERVAL_MS} writes/s (${(loopWrites / seconds).toFixed(1)} measured), ${trials} trials:`,
    );
    console.log(
      `  write attempts won: ${tries.length} of ${attempts} (${pct(tries.length, attempts)}); first try: ${first} of ${trials} (${pct(first, trials)})`,
    );
    console.log(
      `  applied within 10 tries: ${tries.length} of ${trials} (${pct(tries.length, trials)}); failed: ${failed}; max tries ${Math.max(0, ...tries)}`,
    );
    console.log(
      `  tries needed: ${[...histogram.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([t, n]) => `${t}: ${n}`)
        .join(', ')}`,
    );
  } finally {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (n: number, of: number) => `${of ? ((100 * n) / of).toFixed(1) : '0.0'}%`;
