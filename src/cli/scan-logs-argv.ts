import type { ScanLogsFlags } from './scan-logs.js';

/** The options of a plain scan that take a value, by the flag each sets. */
const VALUE_OPTIONS: Record<string, 'top' | 'since' | 'threshold'> = {
  '--top': 'top',
  '--since': 'since',
  '--threshold': 'threshold',
};

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
  const files: string[] = [];
  const flags: ScanLogsFlags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-' || !arg.startsWith('-')) files.push(arg);
    else if (arg === '--json') flags.json = true;
    else {
      const equals = arg.indexOf('=');
      const name = equals < 0 ? arg : arg.slice(0, equals);
      const flag = Object.hasOwn(VALUE_OPTIONS, name) ? VALUE_OPTIONS[name]! : null;
      if (flag === null) return null;
      const value = equals < 0 ? args[++i] : arg.slice(equals + 1);
      if (value === undefined || value.startsWith('-')) return null;
      flags[flag] = value;
    }
  }
  return files.length > 0 ? { files, flags } : null;
}
