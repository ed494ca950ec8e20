/**
 * `npm run bench -- logscan [--sizes=1,4] [--runs=3]`: `rancher-doctor scan-logs --json` (the built
 * CLI) against the shell pipeline
 *   LC_ALL=C grep -F 'handler.go:153] kube-apiserver: PUT' FILE | LC_ALL=C grep -oE '...' | sort | uniq -c | sort -rn
 * on a seeded RKE1 Docker json-file apiserver log of each size (GiB; `--sizes=0.1` for a quick run),
 * made by scripts/gen-apiserver-log.ts into .bench/ and reused while its parameters stay the same.
 * As a kube-apiserver at -v=5 writes it, each request leaves its satisfied-by lines and its httplog
 * access line: scan-logs reads both kinds (and counts the httplog lines), the pipeline greps one.
 * Targets: ratio ours/pipeline <= 1.0 and peak RSS <= 200 MB. Both commands read the file once
 * before timing (warm page cache); runs alternate, the median is reported.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { buildCli, runProcess } from './process.js';
import { generateApiserverLog, type GenOptions, type GenStats } from '../scripts/gen-apiserver-log.js';

const TARGET_RATIO = 1.0;
const TARGET_RSS_MB = 200;
const CACHE_DIR = '.bench';
const TIME = '/usr/bin/time';

const PIPELINE_STAGES = [
  `LC_ALL=C grep -F 'handler.go:153] kube-apiserver: PUT' "$FILE"`,
  `LC_ALL=C grep -oE 'management\\.cattle\\.io/v3/namespaces/[^/]+/nodes/[^\\\\"]+'`,
  'sort',
  'uniq -c',
  'sort -rn',
];
const PIPELINE_NAMES = ['grep -F', 'grep -oE', 'sort', 'uniq -c', 'sort -rn'];

/** The bench log: background traffic plus two hot node objects, one as in the incident (machine-h46dc). */
function benchOptions(gib: number): GenOptions {
  return {
    format: 'docker-json',
    sizeBytes: Math.round(gib * 2 ** 30),
    seed: 20220507,
    startMs: Date.UTC(2022, 4, 7, 6, 0, 0),
    hot: [
      { clusterId: 'c-dql6k', nodeId: 'machine-h46dc', rate: 10 },
      { clusterId: 'c-7xq2m', nodeId: 'machine-9zt4p', rate: 4 },
    ],
    rate: 120,
    clusters: 12,
    httplog: true,
  };
}

interface CachedLog {
  file: string;
  stats: GenStats;
  note: string;
}

async function benchLog(gib: number): Promise<CachedLog> {
  const options = benchOptions(gib);
  const hash = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 10);
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `apiserver-rke1-${gib}GiB-${hash}.log`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) {
    const stats = JSON.parse(readFileSync(meta, 'utf8')) as GenStats;
    if (statSync(file).size === stats.bytes) return { file, stats, note: 'reused' };
  }
  rmSync(meta, { force: true });
  const started = process.hrtime.bigint();
  const handle = await open(file, 'w');
  let stats: GenStats;
  try {
    stats = await generateApiserverLog(options, async (chunk) => {
      await handle.write(chunk);
    });
  } finally {
    await handle.close();
  }
  writeFileSync(meta, JSON.stringify(stats, null, 2));
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return { file, stats, note: `generated in ${s.toFixed(1)} s` };
}

const TIME_FORMAT = '%M %U %S';

/** Peak RSS (KiB) and CPU seconds (user + system) from `/usr/bin/time -f '%M %U %S' -o FILE`. */
function readTime(file: string): { rssKiB: number; cpuS: number } {
  const text = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  const [kib, user, system] = text.split(' ').map(Number);
  if (![kib, user, system].every((n) => Number.isFinite(n))) {
    throw new Error(`unexpected /usr/bin/time output in ${file}: ${text}`);
  }
  return { rssKiB: kib!, cpuS: user! + system! };
}

const mb = (kib: number): number => (kib * 1024) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number): string => (ms / 1000).toFixed(2);
const fmt = (n: number): string => n.toLocaleString('en-US');
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

interface Measured {
  ms: number;
  rssKiB: number;
  /** CPU seconds, user + system (all stages of the pipeline). */
  cpuS: number;
}

interface OurResult extends Measured {
  /** Hot Rancher node objects: `<cluster>/<node>` -> writes. */
  hotNodes: Map<string, number>;
}

interface PipelineResult extends Measured {
  /** The stage with the largest peak RSS. */
  stage: string;
  counts: Map<string, number>;
}

interface ScanJson {
  hot: { key: string; writes: number; rancherNode: { clusterId: string; nodeId: string } | null }[];
}

async function runOurs(cli: string, file: string, timeFile: string, expectCode = 1): Promise<OurResult> {
  const r = await runProcess(TIME, ['-f', TIME_FORMAT, '-o', timeFile, cli, 'scan-logs', '--json', file]);
  if (r.code !== expectCode) throw new Error(`scan-logs exited ${r.code}, expected ${expectCode}`);
  const summary = JSON.parse(r.stdout) as ScanJson;
  const hotNodes = new Map<string, number>();
  for (const h of summary.hot) {
    if (h.rancherNode) hotNodes.set(`${h.rancherNode.clusterId}/${h.rancherNode.nodeId}`, h.writes);
  }
  return { ms: r.ms, ...readTime(timeFile), hotNodes };
}

async function runPipeline(script: string, file: string, timeFiles: string[]): Promise<PipelineResult> {
  const r = await runProcess('bash', ['-o', 'pipefail', script], { ...process.env, FILE: file });
  if (r.code !== 0) throw new Error(`the grep pipeline exited ${r.code}`);
  const counts = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+) management\.cattle\.io\/v3\/namespaces\/([^/]+)\/nodes\/(.+)$/.exec(line);
    if (m) counts.set(`${m[2]}/${m[3]}`, Number(m[1]));
  }
  let rssKiB = 0;
  let cpuS = 0;
  let stage = '';
  timeFiles.forEach((f, i) => {
    const t = readTime(f);
    cpuS += t.cpuS;
    if (t.rssKiB > rssKiB) {
      rssKiB = t.rssKiB;
      stage = PIPELINE_NAMES[i]!;
    }
  });
  return { ms: r.ms, rssKiB, cpuS, stage, counts };
}

interface SizeFigures {
  gib: number;
  ours: number;
  theirs: number;
  ourCpu: number;
  theirCpu: number;
  ratio: number;
  ourRss: number;
  theirRss: number;
  theirStage: string;
  countsMatch: boolean;
}

async function benchSize(gib: number, runs: number, cli: string, work: string): Promise<SizeFigures> {
  const log = await benchLog(gib);
  const size = statSync(log.file).size;
  const hot = Object.entries(log.stats.hotWrites);
  console.log(
    `\n--- ${gib} GiB: ${log.file} (${fmt(size)} bytes, ${fmt(log.stats.lines)} lines, ${fmt(log.stats.requests)} requests, ` +
      `${new Date(log.stats.firstMs).toISOString()} .. ${new Date(log.stats.lastMs).toISOString()}; ${log.note})`,
  );
  // Warm the page cache: both commands then read the file from memory.
  execFileSync('bash', ['-c', 'cat "$FILE" > /dev/null'], { env: { ...process.env, FILE: log.file } });

  const timeFiles = PIPELINE_NAMES.map((_, i) => path.join(work, `stage-${i}.time`));
  const script = path.join(work, 'pipeline.sh');
  writeFileSync(
    script,
    PIPELINE_STAGES.map(
      (stage, i) =>
        `${TIME} -f '${TIME_FORMAT}' -o ${timeFiles[i]} ${stage.replace(/^LC_ALL=C /, 'env LC_ALL=C ')}`,
    ).join(' | ') + '\n',
  );
  const ourTimeFile = path.join(work, 'ours.time');
  const ours: OurResult[] = [];
  const theirs: PipelineResult[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await runOurs(cli, log.file, ourTimeFile));
    theirs.push(await runPipeline(script, log.file, timeFiles));
  }
  const o = median(ours.map((r) => r.ms));
  const t = median(theirs.map((r) => r.ms));
  const ourCpu = median(ours.map((r) => r.cpuS));
  const theirCpu = median(theirs.map((r) => r.cpuS));
  const ourRss = Math.max(...ours.map((r) => r.rssKiB));
  const theirPeak = theirs.reduce((a, b) => (b.rssKiB > a.rssKiB ? b : a));
  const ratio = o / t;
  console.log(
    `rancher-doctor scan-logs --json: median ${secs(o)} s wall (runs: ${ours.map((r) => secs(r.ms)).join(', ')}), ` +
      `${ourCpu.toFixed(2)} s CPU, peak RSS ${mb(ourRss).toFixed(1)} MB`,
  );
  console.log(
    `grep | grep | sort | uniq -c | sort: median ${secs(t)} s wall (runs: ${theirs.map((r) => secs(r.ms)).join(', ')}), ` +
      `${theirCpu.toFixed(2)} s CPU (all stages), peak RSS ${mb(theirPeak.rssKiB).toFixed(1)} MB (largest stage: ${theirPeak.stage})`,
  );
  console.log(
    `ratio ours/pipeline (wall): ${ratio.toFixed(2)} (target <= ${TARGET_RATIO.toFixed(1)}: ${met(ratio <= TARGET_RATIO)}); ` +
      `CPU ratio ${(ourCpu / theirCpu).toFixed(2)}`,
  );
  console.log(
    `peak RSS ours: ${mb(ourRss).toFixed(1)} MB (target <= ${TARGET_RSS_MB} MB: ${met(mb(ourRss) <= TARGET_RSS_MB)})`,
  );
  // Counts: every hot node object the generator wrote, as ours and the pipeline counted it.
  let countsMatch = true;
  const lastOurs = ours[ours.length - 1]!;
  const lastTheirs = theirs[theirs.length - 1]!;
  const generatedById = new Map<string, number>();
  for (const [key, puts] of hot) {
    const m = /\/namespaces\/([^/]+)\/nodes\/([^/]+)$/.exec(key);
    if (m) generatedById.set(`${m[1]}/${m[2]}`, puts);
  }
  for (const id of new Set([...generatedById.keys(), ...lastOurs.hotNodes.keys()])) {
    const generated = generatedById.get(id);
    const a = lastOurs.hotNodes.get(id);
    const b = lastTheirs.counts.get(id);
    const same = a !== undefined && a === b && (generated === undefined || generated === a);
    if (!same) countsMatch = false;
    console.log(
      `hot ${id}: ours ${a === undefined ? 'not hot' : `${fmt(a)} writes`}, pipeline ${b === undefined ? '-' : fmt(b)}, ` +
        `generated ${generated === undefined ? '- (not a generated hot object)' : fmt(generated)} PUTs: ${same ? 'same' : 'DIFFERENT'}`,
    );
  }
  return {
    gib,
    ours: o,
    theirs: t,
    ourCpu,
    theirCpu,
    ratio,
    ourRss: mb(ourRss),
    theirRss: mb(theirPeak.rssKiB),
    theirStage: theirPeak.stage,
    countsMatch,
  };
}

/** The CLI's fixed cost: scan-logs --json on an empty file (start-up, module loading, exit). */
async function startUp(cli: string, work: string, runs: number): Promise<Measured> {
  const empty = path.join(work, 'empty.log');
  writeFileSync(empty, '');
  const results: OurResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runOurs(cli, empty, path.join(work, 'empty.time'), 0));
  return {
    ms: median(results.map((r) => r.ms)),
    cpuS: median(results.map((r) => r.cpuS)),
    rssKiB: Math.max(...results.map((r) => r.rssKiB)),
  };
}

/**
 * Node's own start, the floor under the CLI's: `node -e 0`, median wall ms. NODE_EXTRA_CA_CERTS,
 * when set, is parsed by every Node process before any code runs (a CA bundle: tens of ms), so
 * it is measured both ways: the difference is the environment's, not the CLI's.
 */
async function nodeFloor(runs: number): Promise<{ ms: number; withoutExtraCaMs: number | null }> {
  const time = async (env: NodeJS.ProcessEnv): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) ms.push((await runProcess(process.execPath, ['-e', '0'], env)).ms);
    return median(ms);
  };
  const ms = await time(process.env);
  if (!process.env.NODE_EXTRA_CA_CERTS) return { ms, withoutExtraCaMs: null };
  const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
  return { ms, withoutExtraCaMs: await time(without) };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const arg = args[i]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
}

export async function run(args: string[]): Promise<void> {
  const sizes = (flag(args, 'sizes') ?? '1,4').split(',').map(Number);
  const runs = Number(flag(args, 'runs') ?? '3');
  if (sizes.some((s) => !(s > 0)) || !(runs >= 1)) {
    console.error('usage: npm run bench -- logscan [--sizes=1,4] [--runs=3]   (sizes in GiB)');
    process.exitCode = 2;
    return;
  }
  if (!existsSync(TIME)) {
    console.log(`${TIME} is missing (Debian package "time"): it reports the peak RSS`);
    return;
  }
  const cli = buildCli().bin;
  console.log(`reference: ${PIPELINE_STAGES.join(' | ')}`);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `${runs} run(s) each, alternating, median reported; page cache warmed first. ` +
      `Load average ${load} on a 2-core machine shared with other work: wall times are noisy, CPU times less so.`,
  );
  const work = path.join(tmpdir(), `bench-logscan-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const figures: SizeFigures[] = [];
  try {
    const fixed = await startUp(cli, work, runs);
    console.log(
      `start-up of the CLI (scan-logs --json on an empty file): ${secs(fixed.ms)} s wall, ${fixed.cpuS.toFixed(2)} s CPU, ` +
        `peak RSS ${mb(fixed.rssKiB).toFixed(1)} MB (included in the figures below)`,
    );
    const floor = await nodeFloor(runs);
    console.log(
      `Node's own start (node -e 0): ${secs(floor.ms)} s wall` +
        (floor.withoutExtraCaMs === null
          ? ''
          : `; NODE_EXTRA_CA_CERTS is set, which every Node process parses first: ${secs(floor.withoutExtraCaMs)} s without it`),
    );
    for (const gib of sizes) figures.push(await benchSize(gib, runs, cli, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    '\nsize    ours       pipeline  ratio (<= 1.0)  CPU ours/pipeline  ours RSS (<= 200 MB)  pipeline RSS (stage)  counts',
  );
  for (const f of figures) {
    console.log(
      `${`${f.gib} GiB`.padEnd(8)}${`${secs(f.ours)} s`.padEnd(11)}${`${secs(f.theirs)} s`.padEnd(10)}` +
        `${f.ratio.toFixed(2).padEnd(16)}${`${f.ourCpu.toFixed(1)}/${f.theirCpu.toFixed(1)} s`.padEnd(19)}` +
        `${`${f.ourRss.toFixed(1)} MB`.padEnd(22)}${`${f.theirRss.toFixed(1)} MB (${f.theirStage})`.padEnd(22)}` +
        `${f.countsMatch ? 'same' : 'DIFFERENT'}`,
    );
  }
}
