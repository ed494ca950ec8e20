import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The CLI as built: what `npx rancher-doctor` runs (package.json bin), and the bundle it starts. */
export interface BuiltCli {
  /** The bin script: run it as a command. */
  bin: string;
  /** Its bundle, for `node <flags> bundle` where Node itself needs flags (profiling). */
  bundle: string;
}

/** Builds the CLI as it is shipped (`npm run build`: the kernel, tsc, the bundle). */
export function buildCli(): BuiltCli {
  console.log('building the CLI (npm run build)...');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
  return { bin: path.resolve(pkg.bin['rancher-doctor']!), bundle: path.resolve('dist/bundle/main.js') };
}

export interface Timed {
  ms: number;
  stdout: string;
  code: number;
}

/**
 * Runs a command to its end and times it. Exit 1 is "found something" for rancher-doctor (and
 * grep), so only other codes are failures.
 */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
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
