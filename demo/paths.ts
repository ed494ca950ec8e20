import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout the demo runs from: the folder above this file (demo/*.ts under tsx) or above its
 * bundle (dist/bundle/demo.js) whose package.json is rancher-doctor's. The demo needs the checkout
 * itself: the scenarios under test/standin/scenarios, its page under demo/page, bin/rancher-doctor.
 */
export function checkoutRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'rancher-doctor'
    )
      return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`rancher-doctor demo runs from a checkout of rancher-doctor; none above ${from}`);
  }
}

export interface DemoPaths {
  root: string;
  cli: string;
  page: string;
  scenarios: string;
}

export function demoPaths(root = checkoutRoot()): DemoPaths {
  return {
    root,
    cli: path.join(root, 'bin', 'rancher-doctor'),
    page: path.join(root, 'demo', 'page'),
    scenarios: path.join(root, 'test', 'standin', 'scenarios'),
  };
}

/** A scenario file, or the name of one under test/standin/scenarios ("seed", "imported.yaml"). */
export function scenarioFile(paths: DemoPaths, scenario: string): string {
  if (/[/\\]/.test(scenario)) return path.resolve(scenario);
  const named = path.join(paths.scenarios, /\.ya?ml$/.test(scenario) ? scenario : `${scenario}.yaml`);
  if (existsSync(named)) return named;
  if (existsSync(scenario)) return path.resolve(scenario);
  throw new Error(`no scenario "${scenario}": give a YAML file or one of ${scenarioNames(paths).join(', ')}`);
}

function scenarioNames(paths: DemoPaths): string[] {
  if (!existsSync(paths.scenarios)) return [];
  return readdirSync(paths.scenarios)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ''));
}
