import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RangeJob } from './worker-protocol.js';

/**
 * The scan worker threads. A worker takes ~40 ms to boot, as long as the CLI takes to load: the
 * CLI starts them first (prestartScanWorkers) and a split scan then takes them ready; a scan
 * that finds none starts its own.
 */

const ready: Worker[] = [];

/**
 * Under the built CLI the worker is scan-worker.cjs beside this file's chunk (scripts/bundle.ts
 * bundles it apart, as CommonJS, which boots sooner); run from the
 * TypeScript sources (tsx, jest) it is scan-worker.ts, loaded after tsx's register() in the
 * worker itself: on Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's module
 * loader (the worker fails with "Unknown file extension .ts"). Without a job the worker waits
 * for one (a `job` message).
 */
function spawn(job: RangeJob | null): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./scan-worker.cjs', import.meta.url), { workerData: job, execArgv: [] });
  }
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./scan-worker.ts', import.meta.url).href);
  const boot = `import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`;
  return new Worker(boot, { eval: true, workerData: job, execArgv: [] });
}

/**
 * Boots the workers a split scan would use (one fewer than the cores), idle and not keeping the
 * process up. Resolves once each has loaded its code (or failed: a scan then starts its own).
 */
export function prestartScanWorkers(count = availableParallelism() - 1): Promise<void> {
  const booted: Promise<void>[] = [];
  while (ready.length < count) {
    const worker = spawn(null);
    worker.unref();
    booted.push(
      new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        // An idle worker that fails is dropped; a scan then starts its own.
        worker.once('error', () => {
          const at = ready.indexOf(worker);
          if (at >= 0) ready.splice(at, 1);
          resolve();
        });
        worker.once('exit', () => resolve());
      }),
    );
    ready.push(worker);
  }
  return Promise.all(booted).then(() => undefined);
}

/** A worker running `job`: a booted one when there is one. */
export function startScanWorker(job: RangeJob): Worker {
  const worker = ready.shift();
  if (worker === undefined) return spawn(job);
  worker.ref();
  worker.postMessage({ type: 'job', job });
  return worker;
}

/** How many booted workers wait for a scan. */
export function idleScanWorkers(): number {
  return ready.length;
}

/** Ends the booted workers no scan took (the input was small, or gzip, or stdin). */
export function stopIdleScanWorkers(): void {
  for (const worker of ready.splice(0)) void worker.terminate();
}
