/**
 * The CLI as built (`npm run build`: tsc, then bundled by scripts/bundle.ts into dist/bundle/),
 * which is what `npx rancher-doctor` and the container run: its chunks load, the log scanner's
 * kernel is in it, and a log large enough to be split finds its scan worker beside the bundle.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { createWriteStream, mkdirSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { scanFiles } from '../src/io/index.js';
import { DEFAULT_SPLIT_FROM_BYTES } from '../src/io/split.js';
import type { ScanLogsJson } from '../src/cli/scan-logs.js';
import { DEFAULT_GEN_OPTIONS, generateApiserverLog } from '../scripts/gen-apiserver-log.js';
import { BUILT_CLI, runCliInProcess, runCliProcess } from './support/cli.js';
import { spawnSync } from 'node:child_process';
import { tempDir } from './logscan/helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function writeLog(path: string, sizeBytes: number): Promise<void> {
  const out = createWriteStream(path);
  await generateApiserverLog({ ...DEFAULT_GEN_OPTIONS, sizeBytes, seed: 11 }, async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain');
  });
  out.end();
  await once(out, 'finish');
}

describe('the built CLI', () => {
  test('--help names its commands', async () => {
    const { code, stdout } = await runCliProcess(['--help'], { built: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(/scan-logs/);
    expect(stdout).toMatch(/diagnose/);
  });

  // scan-logs runs from a bundle of its own (scan-logs.cjs), which hands anything but a plain scan
  // to the program: what it prints and its exit codes are the program's.
  test.each([
    [['--help']],
    [['--json', 'samples/kube-apiserver-rke1.log']],
    [['--top=2', '--threshold', '30', 'samples/kube-apiserver-rke1.log']],
    [['--top', 'x', 'samples/kube-apiserver-rke1.log']],
    [['--jsn', 'samples/kube-apiserver-rke1.log']],
    [['no-such.log']],
    [[]],
  ])('scan-logs %j: what the program prints, and its exit code', async (args) => {
    const built = await runCliProcess(['scan-logs', ...args], { built: true });
    const program = await runCliInProcess(['scan-logs', ...args]);
    expect(built).toEqual(program);
  });

  test('scan-logs on the shipped sample: the looping node, exit 1', async () => {
    const { code, stdout, stderr } = await runCliProcess(['scan-logs', 'samples/kube-apiserver-rke1.log'], {
      built: true,
    });
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/machine-h46dc/);
  });

  test('through links, as npm installs it in node_modules/.bin', () => {
    const modules = tmp.file('node_modules');
    mkdirSync(`${modules}/.bin`, { recursive: true });
    mkdirSync(`${modules}/rancher-doctor/bin`, { recursive: true });
    // The package's bin file stands for this checkout's (its dist/ is found from there).
    symlinkSync(resolve(BUILT_CLI), `${modules}/rancher-doctor/bin/rancher-doctor`);
    symlinkSync('../rancher-doctor/bin/rancher-doctor', `${modules}/.bin/rancher-doctor`);
    const run = spawnSync(`${modules}/.bin/rancher-doctor`, ['--help'], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/scan-logs/);
  });

  // Node 20 loads NODE_EXTRA_CA_CERTS at start-up (tens of ms) and warns when it cannot: the bin
  // script starts scan-logs, which opens no connection, without it, and keeps it for the rest.
  test('NODE_EXTRA_CA_CERTS: left out for scan-logs, kept for the commands that connect', async () => {
    const env = { NODE_EXTRA_CA_CERTS: tmp.file('no-such-bundle.pem') };
    const scan = await runCliProcess(['scan-logs', 'samples/kube-apiserver-rke1.log'], { built: true, env });
    expect(scan.code).toBe(1);
    expect(scan.stderr).toBe('');
    const help = await runCliProcess(['--help'], { built: true, env });
    expect(help.code).toBe(0);
    expect(help.stderr).toContain(`Ignoring extra certs from \`${env.NODE_EXTRA_CA_CERTS}\``);
  });

  // Split where there are two cores (these machines have two); the counts are the same either way.
  const split = availableParallelism() >= 2 ? 'split across threads' : 'on one core';
  test(`a log of DEFAULT_SPLIT_FROM_BYTES and more, ${split}: the counts of one thread in-process`, async () => {
    const path = tmp.file('large-rke1.log');
    await writeLog(path, DEFAULT_SPLIT_FROM_BYTES + (6 << 20));
    const { code, stdout, stderr } = await runCliProcess(['scan-logs', '--json', path], { built: true });
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const built = JSON.parse(stdout) as ScanLogsJson;
    const reference = await scanFiles([path], { threads: 1 });
    expect(built.bytesRead).toBe(reference.bytesRead);
    expect(built.linesRead).toBe(reference.linesRead);
    expect(built.requestsCounted).toBe(reference.requestsCounted);
    expect(built.distinctObjects).toBe(reference.distinctObjects);
    expect(built.hot.map((h) => [h.key, h.writes, h.perMinute])).toEqual(
      reference.hot.slice(0, built.hot.length).map((h) => [h.key, h.writes, h.perMinute]),
    );
    expect(built.hot[0]!.rancherNode).toEqual({ clusterId: 'c-dql6k', nodeId: 'machine-h46dc' });
  }, 60_000);
});
