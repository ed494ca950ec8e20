import { spawn, type ChildProcess } from 'node:child_process';
import { BUILT_CLI } from '../support/cli.js';

/** What the demo said on stderr about what it started: each is checked to be gone at the end. */
export interface Started {
  dir: string;
  servePid: number;
  redisUrl: string;
  prefix: string;
}

export function startedFrom(stderr: string): Started {
  const dir = /working folder (\S+)/.exec(stderr)?.[1];
  const servePid = /rancher-doctor serve \(pid (\d+)\)/.exec(stderr)?.[1];
  const redis = /Redis at (\S+)(?: \(a redis-server[^)]*\))?, keys under "([^"]+):"/.exec(stderr);
  if (!dir || !servePid || !redis) throw new Error(`the demo did not say what it started:\n${stderr}`);
  return { dir, servePid: Number(servePid), redisUrl: redis[1]!, prefix: redis[2]! };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The built CLI's demo in a child process of its own, with the environment a person has. */
export function spawnDemo(args: string[], env: Record<string, string> = {}): ChildProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', ...env };
  delete childEnv.NODE_ENV;
  delete childEnv.LOG_LEVEL;
  if (!env.REDIS_URL) delete childEnv.REDIS_URL;
  return spawn(BUILT_CLI, ['demo', ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Output {
  stdout: string;
  stderr: string;
}

/** Collects a child's output as it comes. */
export function collect(child: ChildProcess): Output {
  const out: Output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.stderr += c.toString()));
  return out;
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves once `output` matches, or rejects when the child ends first. */
export async function waitForOutput(
  child: ChildProcess,
  out: Output,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(out.stdout);
    if (match) return match;
    if (child.exitCode !== null)
      throw new Error(`the demo ended (${child.exitCode}):\n${out.stdout}\n${out.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
