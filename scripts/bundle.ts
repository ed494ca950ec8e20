/**
 * `npm run build`, after tsc: bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/,
 * split into chunks at its lazy imports, so that each module is loaded once and by one file.
 * Loading the CLI's modules one by one took longer than the start of a scan of 1 GiB otherwise
 * waits (about 40 ms of module loading on each thread, measured, against about 10 bundled). npm
 * packages stay in node_modules, but for commander, which every command loads first: loaded from
 * there (seven CommonJS files through the ES module loader) it took 37 ms from the CLI's start
 * to its program being ready, bundled 22 (medians of 11 runs of a 1 GiB split scan).
 *
 * The scan worker (dist/src/io/scan-worker.js) is bundled apart, whole, as CommonJS
 * (scan-worker.cjs): a worker thread that starts on a CommonJS file does not set up the ES module
 * loader first, and was ready 6-8 ms sooner (31 against 38 ms, five runs each), while the main
 * thread loads the CLI.
 *
 * `scan-logs` (src/cli/scan-logs-main.ts) is bundled apart too, whole, as CommonJS (scan-logs.cjs,
 * which bin/rancher-doctor starts for that command): a plain scan then loads one file, without
 * commander and the other commands. Measured against the program's bundle, on an empty log:
 * 231 -> 155 million instructions (callgrind), 201 -> 156 ms (medians of 21 runs on a busy machine).
 *
 * `rancher-doctor demo` (demo/main.ts) is bundled on its own, from the TypeScript sources, into
 * dist/demo/: it holds the stand-in apiserver and Slack Web API of test/, which the product's
 * bundle must not, and which the package leaves out (package.json "files").
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const BUNDLED_PACKAGES = new Set(['commander']);
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
};
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED_PACKAGES.has(name))
  .flatMap((name) => [name, `${name}/*`]);

// commander is CommonJS and requires Node's own modules: an ES module has no `require` to do so.
const REQUIRE_BANNER = {
  js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);",
};

/** What the bundles share. Everything lands in one folder: a chunk finds ./scan-worker.cjs beside it. */
const common = {
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
} as const;

// Chunk names carry a hash of their content: the chunks of an earlier build would pile up.
rmSync('dist/bundle', { recursive: true, force: true });
rmSync('dist/demo', { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { main: 'dist/src/cli/main.js' },
  chunkNames: '[name]-[hash]',
  splitting: true,
  format: 'esm',
  banner: REQUIRE_BANNER,
});

await build({
  ...common,
  entryPoints: { 'scan-worker': 'dist/src/io/scan-worker.js' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});

// What import.meta.url is in an ES module: a CommonJS bundle's code (ES modules compiled) reads it.
const IMPORT_META_BANNER = {
  js: "'use strict';\nconst importMeta = { url: require('node:url').pathToFileURL(__filename).href };",
};

await build({
  ...common,
  entryPoints: { 'scan-logs': 'dist/src/cli/scan-logs-main.js' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  banner: IMPORT_META_BANNER,
  define: { 'import.meta': 'importMeta' },
});

// The image (deploy/Dockerfile) is built without demo/ and test/: it carries no demo.
if (existsSync('demo/main.ts'))
  await build({
    ...common,
    outdir: 'dist/demo',
    entryPoints: { demo: 'demo/main.ts' },
    // ws (the stand-in Slack's Socket Mode) is a devDependency: a checkout, where the demo runs, has it.
    external: [...external, 'ws'],
    format: 'esm',
    banner: REQUIRE_BANNER,
  });
