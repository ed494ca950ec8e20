import { appendFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The CLI's audit trail: one JSON object a line, appended, readable by its owner only. The default
 * lives in the user's state directory (XDG_STATE_HOME, else ~/.local/state).
 */
export function defaultAuditFile(env: Record<string, string | undefined>, home: string = homedir()): string {
  const state = env.XDG_STATE_HOME?.trim() || path.join(home, '.local', 'state');
  return path.join(state, 'rancher-doctor', 'audit.jsonl');
}

export async function appendAuditLine(file: string, entry: object): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}
