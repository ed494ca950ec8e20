import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The first of `names` found on the PATH (Debian names Alertmanager's binary prometheus-alertmanager). */
export function onPath(...names: string[]): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}
