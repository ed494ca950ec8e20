/**
 * npm run manifests -- deploy/kustomize/overlays/default [--print]
 * Exit 0: valid (with --print, the manifests on stdout for `kubectl apply -f -`); 2: the problem
 * on stderr, naming the object and the field or setting.
 */
import { stringify } from 'yaml';
import { checkOverlay, ManifestError } from './manifests.js';

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: npm run manifests -- OVERLAY_DIR [--print]\n');
  process.exit(2);
}
try {
  const manifests = await checkOverlay(dir);
  if (flags.includes('--print')) process.stdout.write(manifests.map((m) => stringify(m)).join('---\n'));
  else process.stderr.write(`${dir}: ${manifests.length} objects, valid\n`);
} catch (err) {
  if (!(err instanceof ManifestError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
