/**
 * Workers as the built CLI (`dist/bundle/main.js worker`, built by `npm test` first), each a child
 * process of its own, so that a test can SIGKILL one as a cluster would. Compiling the sources with
 * tsx in several children at once would load a two-core machine for a minute, and every other test
 * with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'bundle', 'main.js');

export interface BuiltWorker {
  process: ChildProcess;
  /** Everything it wrote, stdout and stderr together. */
  output: () => string;
}

export class BuiltWorkers {
  private readonly children: ChildProcess[] = [];

  start(env: Record<string, string>): BuiltWorker {
    let output = '';
    const child = spawn(process.execPath, [CLI, 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    this.children.push(child);
    return { process: child, output: () => output };
  }

  /** SIGKILLs every one still running, and waits for each to be gone. */
  async killAll(): Promise<void> {
    for (const c of this.children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
}
