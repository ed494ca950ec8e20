/**
 * `npm run bench -- logscan [--sizes=1,4] [--runs=3]`: `rancher-doctor scan-logs --json` (the built
 * CLI) against the shell pipeline
 *   LC_ALL=C grep -F 'handler.go:153] kube-apiserver: PUT' FILE | LC_ALL=C grep -oE '...' | sort | uniq -c | sort -rn
 * on a seeded RKE1 Docker json-file apiserver log of each size (GiB; `--sizes=0.1` for a quick run),
 * made by scripts/gen-apiserver-log.ts into .bench/ and reused while its parameters stay the same.
 * Targets: ratio ours/pipeline <= 1.0 and peak RSS <= 200 MB. Both commands read the file once
 * before timing (warm page cache); runs alternate, the median is reported.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
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

/** The bench log: background traffic plus two hot node objects, one as in DESIGN.md. */
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
    httplog: false,
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

interface Timed {
  ms: number;
  stdout: string;
  code: number;
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && code !== 1) {
        reject(new Error(`${command} exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
        return;
      }
      resolve({ ms, stdout: Buffer.concat(out).toString(), code: code ?? 0 });
    });
  });
}

/** Max RSS in KiB written by `/usr/bin/time -f %M -o FILE`. */
function readRssKiB(file: string): number {
  const text = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  const kib = Number(text);
  if (!Number.isFinite(kib)) throw new Error(`unexpected /usr/bin/time output in ${file}: ${text}`);
  return kib;
}

const mb = (kib: number): number => (kib * 1024) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number): string => (ms / 1000).toFixed(2);
const fmt = (n: number): string => n.toLocaleString('en-US');

interface OurResult {
  ms: number;
  rssKiB: number;
  /** Hot Rancher node objects: `<cluster>/<node>` -> writes. */
  hotNodes: Map<string, number>;
  /** Writes of every object path found hot (to look up a generated hot object not reported). */
  hotKeys: Set<string>;
}

interface PipelineResult {
  ms: number;
  rssKiB: number;
  stage: string;
  counts: Map<string, number>;
}

interface ScanJson {
  bytesRead: number;
  hot: { key: string; writes: number; rancherNode: { clusterId: string; nodeId: string } | null }[];
}

async function runOurs(cli: string, file: string, rssFile: string): Promise<OurResult> {
  const r = await runProcess(TIME, [
    '-f',
    '%M',
    '-o',
    rssFile,
    process.execPath,
    cli,
    'scan-logs',
    '--json',
    file,
  ]);
  if (r.code !== 1) throw new Error(`scan-logs exited ${r.code}, expected 1 (hot objects found)`);
  const summary = JSON.parse(r.stdout) as ScanJson;
  const hotNodes = new Map<string, number>();
  for (const h of summary.hot) {
    if (h.rancherNode) hotNodes.set(`${h.rancherNode.clusterId}/${h.rancherNode.nodeId}`, h.writes);
  }
  return { ms: r.ms, rssKiB: readRssKiB(rssFile), hotNodes, hotKeys: new Set(summary.hot.map((h) => h.key)) };
}

async function runPipeline(script: string, file: string, rssFiles: string[]): Promise<PipelineResult> {
  const r = await runProcess('bash', ['-o', 'pipefail', script], { ...process.env, FILE: file });
  if (r.code !== 0) throw new Error(`the grep pipeline exited ${r.code}`);
  const counts = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+) management\.cattle\.io\/v3\/namespaces\/([^/]+)\/nodes\/(.+)$/.exec(line);
    if (m) counts.set(`${m[2]}/${m[3]}`, Number(m[1]));
  }
  let rssKiB = 0;
  let stage = '';
  rssFiles.forEach((f, i) => {
    const kib = readRssKiB(f);
    if (kib > rssKiB) {
      rssKiB = kib;
      stage = PIPELINE_NAMES[i]!;
    }
  });
  return { ms: r.ms, rssKiB, stage, counts };
}

interface SizeFigures {
  gib: number;
  ours: number;
  theirs: number;
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

  const rssFiles = PIPELINE_NAMES.map((_, i) => path.join(work, `stage-${i}.rss`));
  const script = path.join(work, 'pipeline.sh');
  writeFileSync(
    script,
    PIPELINE_STAGES.map(
      (stage, i) => `${TIME} -f %M -o ${rssFiles[i]} ${stage.replace(/^LC_ALL=C /, 'env LC_ALL=C ')}`,
    ).join(' | ') + '\n',
  );
  const ourRssFile = path.join(work, 'ours.rss');
  const ours: OurResult[] = [];
  const theirs: PipelineResult[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await runOurs(cli, log.file, ourRssFile));
    theirs.push(await runPipeline(script, log.file, rssFiles));
  }
  const o = median(ours.map((r) => r.ms));
  const t = median(theirs.map((r) => r.ms));
  const ourRss = Math.max(...ours.map((r) => r.rssKiB));
  const theirBest = theirs.reduce((a, b) => (b.rssKiB > a.rssKiB ? b : a));
  const ratio = o / t;
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(
    `rancher-doctor scan-logs --json: median ${secs(o)} s (runs: ${ours.map((r) => secs(r.ms)).join(', ')}), ` +
      `${(size / 2 ** 30 / (o / 1000)).toFixed(2)} GiB/s, peak RSS ${mb(ourRss).toFixed(1)} MB`,
  );
  console.log(
    `grep | grep | sort | uniq -c | sort: median ${secs(t)} s (runs: ${theirs.map((r) => secs(r.ms)).join(', ')}), ` +
      `peak RSS ${mb(theirBest.rssKiB).toFixed(1)} MB (largest stage: ${theirBest.stage})`,
  );
  console.log(
    `ratio ours/pipeline: ${ratio.toFixed(2)} (target <= ${TARGET_RATIO.toFixed(1)}: ${met(ratio <= TARGET_RATIO)})`,
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
    ratio,
    ourRss: mb(ourRss),
    theirRss: mb(theirBest.rssKiB),
    theirStage: theirBest.stage,
    countsMatch,
  };
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
  const cli = path.resolve('dist/src/cli/main.js');
  console.log('building the CLI (tsc -p tsconfig.build.json)...');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  console.log(`reference: ${PIPELINE_STAGES.join(' | ')}`);
  console.log(
    `${runs} run(s) each, alternating, median reported; page cache warmed first. Load average now ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on a shared 2-core machine: timings are noisy.`,
  );
  const work = path.join(tmpdir(), `bench-logscan-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const figures: SizeFigures[] = [];
  try {
    for (const gib of sizes) figures.push(await benchSize(gib, runs, cli, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    '\nsize    ours      pipeline  ratio (<= 1.0)  ours RSS (<= 200 MB)  pipeline RSS (stage)      counts',
  );
  for (const f of figures) {
    console.log(
      `${`${f.gib} GiB`.padEnd(8)}${`${secs(f.ours)} s`.padEnd(10)}${`${secs(f.theirs)} s`.padEnd(10)}` +
        `${f.ratio.toFixed(2).padEnd(16)}${`${f.ourRss.toFixed(1)} MB`.padEnd(22)}` +
        `${`${f.theirRss.toFixed(1)} MB (${f.theirStage})`.padEnd(26)}${f.countsMatch ? 'same' : 'DIFFERENT'}`,
    );
  }
}
