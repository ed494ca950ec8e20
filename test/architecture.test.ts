import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';

// The dependency rules (.dependency-cruiser.js) run as `npm run lint:deps` runs them, on a small
// tree of the target shape: clean it passes, and each deliberate violation fails naming its rule.

const ROOT = resolve('.');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const LINT_DEPS = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts['lint:deps']!;

/** Imports every layer may make: the edges use the pure layers, tests and bench use the stand-ins. */
const CLEAN: Record<string, string> = {
  'src/errors.ts': 'export class UserError extends Error {}\n',
  'src/retry.ts': "import { UserError } from './errors.js';\nexport const retry = UserError;\n",
  'src/text/plural.ts': 'export const plural = (n: number) => (n === 1 ? "" : "s");\n',
  'src/log.ts': "import pino from 'pino';\nexport const log = pino();\n",
  'src/diagnosis/types.ts': 'export interface Report { node: string }\n',
  'src/diagnosis/ports.ts':
    "import type { Report } from './types.js';\nexport interface Ports { read(): Report }\n",
  'src/diagnosis/loop-rule.ts':
    "import { plural } from '../text/plural.js';\nimport { retry } from '../retry.js';\nimport { createHash } from 'node:crypto';\nimport { stringify } from 'yaml';\nexport const rule = [plural, retry, createHash, stringify];\n",
  'src/remediation/plans/patch.ts':
    "import type { Report } from '../../diagnosis/types.js';\nexport const patch = (r: Report) => r.node;\n",
  'src/engine/run.ts':
    "import type { Ports } from '../diagnosis/ports.js';\nimport { patch } from '../remediation/plans/patch.js';\nexport const run = (p: Ports) => patch(p.read());\n",
  'src/report/model.ts': "import { run } from '../engine/run.js';\nexport const model = run;\n",
  'src/rancher/ports.ts':
    "import type { Ports } from '../diagnosis/ports.js';\nimport { readFileSync } from 'node:fs';\nimport { log } from '../log.js';\nexport const ports: Ports = { read: () => ({ node: String(readFileSync('x')) + String(log) }) };\n",
  'src/queue/worker.ts':
    "import { run } from '../engine/run.js';\nexport interface JobReporter { done(): void }\nexport const work = run;\n",
  'src/slack/reporter.ts':
    "import type { JobReporter } from '../queue/worker.js';\nimport { model } from '../report/model.js';\nexport const reporter: JobReporter = { done: () => model };\n",
  'src/app/roles.ts':
    "import { ports } from '../rancher/ports.js';\nimport { reporter } from '../slack/reporter.js';\nimport { work } from '../queue/worker.js';\nexport const roles = [ports, reporter, work];\n",
  'test/standin/server.ts':
    "import { ports } from '../../src/rancher/ports.js';\nexport const standin = ports;\n",
  'test/app.test.ts':
    "import { roles } from '../src/app/roles.js';\nimport { standin } from './standin/server.js';\nexport const t = [roles, standin];\n",
  'bench/diagnose.ts': "import { standin } from '../test/standin/server.js';\nexport const b = standin;\n",
  'scripts/gen.ts': "import { plural } from '../src/text/plural.js';\nexport const g = plural;\n",
  'demo/main.ts':
    "import { roles } from '../src/app/roles.js';\nimport { standin } from '../test/standin/server.js';\nexport const d = [roles, standin];\n",
};

/** One forbidden import each, added to the clean tree: [rule, file, its new content, what the message names]. */
const VIOLATIONS: [string, string, string, string[]][] = [
  [
    'pure-imports-no-edge',
    'src/diagnosis/nodes.ts',
    "import { ports } from '../rancher/ports.js';\nexport const n = ports;\n",
    ['src/diagnosis/nodes.ts', 'src/rancher/ports.ts'],
  ],
  [
    'pure-imports-no-io-builtin',
    'src/engine/files.ts',
    "import { readFile } from 'node:fs/promises';\nexport const f = readFile;\n",
    ['src/engine/files.ts', 'fs/promises'],
  ],
  [
    'pure-imports-no-io-package',
    'src/report/logged.ts',
    "import pino from 'pino';\nexport const l = pino;\n",
    ['src/report/logged.ts', 'node_modules/pino/'],
  ],
  [
    'pure-imports-no-io-package',
    'src/retry.ts',
    "import { UserError } from './errors.js';\nimport pino from 'pino';\nexport const retry = [UserError, pino];\n",
    ['src/retry.ts', 'node_modules/pino/'],
  ],
  [
    'pure-imports-only-pure',
    'src/remediation/plans/drain.ts',
    "import { log } from '../../log.js';\nexport const d = log;\n",
    ['src/remediation/plans/drain.ts', 'src/log.ts'],
  ],
  [
    'diagnosis-imports-no-later-layer',
    'src/diagnosis/cause.ts',
    "import { patch } from '../remediation/plans/patch.js';\nexport const c = patch;\n",
    ['src/diagnosis/cause.ts', 'src/remediation/plans/patch.ts'],
  ],
  [
    'queue-imports-no-slack',
    'src/queue/progress.ts',
    "import { reporter } from '../slack/reporter.js';\nexport const p = reporter;\n",
    ['src/queue/progress.ts', 'src/slack/reporter.ts'],
  ],
  [
    'product-imports-no-test',
    'src/cli/standin.ts',
    "import { standin } from '../../test/standin/server.js';\nexport const s = standin;\n",
    ['src/cli/standin.ts', 'test/standin/server.ts'],
  ],
  [
    'product-imports-no-demo',
    'src/cli/demo.ts',
    "import { d } from '../../demo/main.js';\nexport const c = d;\n",
    ['src/cli/demo.ts', 'demo/main.ts'],
  ],
  [
    'no-circular',
    'src/diagnosis/types.ts',
    // Type-only on both sides: erased by tsc, still a cycle between the two files.
    "import type { Ports } from './ports.js';\nexport interface Report { node: string; ports?: Ports }\n",
    ['src/diagnosis/types.ts', 'src/diagnosis/ports.ts'],
  ],
];

type Run = { code: number; output: string };
let work: string;
let clean: Run;
let broken: Run;

// depcruise takes seconds to start: two runs, the clean tree and the tree with every violation.
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rd-architecture-'));
  const withViolations = {
    ...CLEAN,
    ...Object.fromEntries(VIOLATIONS.map(([, file, text]) => [file, text])),
  };
  [clean, broken] = await Promise.all([
    tree('clean', CLEAN).then(lintDeps),
    tree('broken', withViolations).then(lintDeps),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await copyFile(join(ROOT, '.dependency-cruiser.js'), join(dir, '.dependency-cruiser.js'));
  await copyFile(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** `npm run lint:deps` in `dir`, minus npm. */
function lintDeps(dir: string): Promise<Run> {
  const [command, ...args] = LINT_DEPS.split(/\s+/);
  if (command !== 'depcruise') throw new Error(`lint:deps is not a depcruise command: ${LINT_DEPS}`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [DEPCRUISE, ...args],
      { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** The reported violations, one string each (a cycle's spans several lines). */
const reported = (output: string) => output.split(/\n(?=\s*(?:error|warn|x) )/).map((v) => v.trim());

describe('dependency rules (npm run lint:deps)', () => {
  it('pass a tree of the target shape', () => {
    expect(clean.output).toMatch(/no dependency violations found/);
    expect(clean.code).toBe(0);
  });

  it('fail on the same tree with forbidden imports, one error each (the exit code counts them)', () => {
    expect(broken.output).toContain(
      `${VIOLATIONS.length} dependency violations (${VIOLATIONS.length} errors`,
    );
    expect(broken.code).toBe(VIOLATIONS.length);
  });

  it.each(VIOLATIONS)('report a violation of %s (%s), naming the rule', (rule, _file, _text, names) => {
    const named = reported(broken.output).filter(
      (v) => v.startsWith(`error ${rule}: `) && names.every((n) => v.includes(n)),
    );
    expect(named).toHaveLength(1);
  });
});
