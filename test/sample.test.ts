import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanFiles } from '../src/io/index.js';
import { generateApiserverLog, optionsFromArgs } from '../scripts/gen-apiserver-log.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = join(ROOT, 'samples', 'kube-apiserver-rke1.log');

/** The README's first command scans this file: it must show the incident, and be what the script says. */
describe('the shipped sample log', () => {
  it('is remade byte for byte by the command in the generator header', async () => {
    const header = readFileSync(join(ROOT, 'scripts', 'gen-apiserver-log.ts'), 'utf8');
    const command = /npm run sample -- (.*) --out samples\/kube-apiserver-rke1\.log/.exec(header);
    expect(command).not.toBeNull();
    const { options } = optionsFromArgs(command![1]!.split(' '));
    const chunks: Buffer[] = [];
    await generateApiserverLog(options, async (chunk) => {
      chunks.push(Buffer.from(chunk));
    });
    expect(Buffer.concat(chunks).equals(readFileSync(SAMPLE))).toBe(true);
  });

  it('shows machine-h46dc of c-dql6k written in a loop, and nothing else', async () => {
    const summary = await scanFiles([SAMPLE], { referenceMs: Date.parse('2022-05-08T00:00:00Z') });
    expect(summary.formats).toEqual({ 'docker-json': summary.linesRead });
    expect(summary.signal).toBe('satisfied-by');
    expect(summary.hot.map((h) => [h.rancherNode, h.writes, h.verbs])).toEqual([
      [{ clusterId: 'c-dql6k', nodeId: 'machine-h46dc' }, 356, { PUT: 356 }],
    ]);
    expect(summary.hot[0]!.perMinute).toEqual([121, 119, 116]);
  });
});
