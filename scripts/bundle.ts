/**
 * `npm run build`, after tsc: bundles the compiled CLI (dist/src/cli/main.js) and the scan worker
 * (dist/src/io/scan-worker.js) into dist/bundle/, split into chunks at the CLI's lazy imports, so
 * that each module is loaded once and by one file. Loading the CLI's modules one by one took
 * longer than the start of a scan of 1 GiB otherwise waits (about 40 ms of module loading on
 * each thread, measured, against about 10 bundled). npm packages stay in node_modules.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a hash of their content: the chunks of an earlier build would pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'dist/src/cli/main.js', 'scan-worker': 'dist/src/io/scan-worker.js' },
  outdir: 'dist/bundle',
  // Chunks beside the entries: scan-workers.js finds the worker as ./scan-worker.js from its chunk.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
