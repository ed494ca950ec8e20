import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOverlay, type Manifest } from '../../scripts/manifests.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KUSTOMIZE = join(ROOT, 'deploy', 'kustomize');
export const overlay = (name: string) => join(KUSTOMIZE, 'overlays', name);

export const byKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
export const named = (manifests: Manifest[], kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);

/**
 * An overlay of the user's own, in a temporary directory beside the shipped ones (kustomize
 * loads bases only from below or beside): the given components and extra kustomization lines.
 */
export async function renderCustom(components: string[], extra = ''): Promise<Manifest[]> {
  const dir = mkdtempSync(join(KUSTOMIZE, 'overlays', '.test-'));
  try {
    const rel = (p: string) => relative(dir, join(KUSTOMIZE, p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${rel('base')}`,
        ...(components.length
          ? ['components:', ...components.map((c) => `  - ${rel(`components/${c}`)}`)]
          : []),
        extra,
      ].join('\n'),
    );
    return await checkOverlay(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
