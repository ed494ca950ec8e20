import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/program.js';

/** The built CLI, as `npx rancher-doctor` runs it (package.json bin; npm test builds it first). */
export const BUILT_CLI = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> })
  .bin['rancher-doctor']!;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process and captures what it writes. */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    process.exitCode = undefined;
  }
}

/**
 * The CLI in a child process, as a person runs it: from its TypeScript sources, or as built
 * (`built`); the logger as a person gets it (no test environment), standard input from `stdin`.
 */
export function runCliProcess(
  args: string[],
  options: { env?: Record<string, string>; stdin?: Buffer; built?: boolean } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', ...options.env };
    delete env.NODE_ENV;
    if (!options.env?.LOG_LEVEL) delete env.LOG_LEVEL;
    // The built CLI is run as npx runs it: the bin script, which starts Node itself.
    const [command, entry] = options.built
      ? [BUILT_CLI, []]
      : [process.execPath, ['--import', 'tsx', 'src/cli/main.ts']];
    const child = spawn(command, [...entry, ...args], {
      env,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    if (options.stdin) child.stdin!.end(options.stdin);
  });
}
