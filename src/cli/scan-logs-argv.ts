import { parseArgs } from 'node:util';
import type { ScanLogsFlags } from './scan-logs.js';

/** The options of a plain scan, as Node's own argument parser takes them. */
const PLAIN_OPTIONS = {
  json: { type: 'boolean' },
  top: { type: 'string' },
  since: { type: 'string' },
  threshold: { type: 'string' },
} as const;

export interface PlainScanLogs {
  files: string[];
  flags: ScanLogsFlags;
}

/**
 * Reads the arguments of `scan-logs` (those after its name) when they make a plain scan: files
 * (`-` is stdin), --json, and --top, --since or --threshold with a value (`--top 5` or
 * `--top=5`), in any order, the last of a repeated option winning: as commander reads them.
 * Anything else is null, left to the full program, whose commander gives the help and the errors:
 * --help, --chart, `--`, an option it does not know, a value that starts with `-`, no file.
 */
export function parsePlainScanLogs(args: readonly string[]): PlainScanLogs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: PLAIN_OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch {
    return null;
  }
  const { values, positionals, tokens } = parsed;
  if (tokens.some((token) => token.kind === 'option-terminator')) return null;
  const flags: ScanLogsFlags = {};
  if (values.json) flags.json = true;
  for (const name of ['top', 'since', 'threshold'] as const) {
    const value = values[name];
    if (value === undefined) continue;
    // Commander may read such a value as an option of its own.
    if (value.startsWith('-')) return null;
    flags[name] = value;
  }
  return positionals.length > 0 ? { files: positionals, flags } : null;
}
