import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/program.js';
import { DEFAULT_TOP, type ScanLogsFlags } from '../src/cli/scan-logs.js';
import { parsePlainScanLogs } from '../src/cli/scan-logs-argv.js';
import { DEFAULT_THRESHOLD } from '../src/diagnosis/logscan/index.js';

interface Parsed {
  files: string[];
  flags: ScanLogsFlags;
}

/** What commander hands the scan-logs action for `args`, or the error it stops with. */
async function commanderReads(args: string[]): Promise<Parsed | 'error'> {
  const program = buildProgram();
  let parsed: Parsed | 'error' = 'error';
  const scanLogs = program.commands.find((c: Command) => c.name() === 'scan-logs')!;
  scanLogs.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  scanLogs.action((files: string[], flags: ScanLogsFlags) => {
    parsed = { files, flags };
  });
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    await program.parseAsync(['scan-logs', ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return parsed;
}

/** A plain scan's flags as commander gives them: with the defaults of --top and --threshold. */
function withDefaults({ files, flags }: Parsed): Parsed {
  return { files, flags: { top: String(DEFAULT_TOP), threshold: String(DEFAULT_THRESHOLD), ...flags } };
}

const PLAIN: string[][] = [
  ['a.log'],
  ['-'],
  ['--json', 'a.log', 'b.log.gz'],
  ['a.log', '--json'],
  ['--top', '3', 'a.log'],
  ['--top=3', 'a.log', '--json'],
  ['a.log', '--since', '2h', '--threshold', '7.5'],
  ['--since=2022-05-07T08:00:00Z', 'a.log'],
  ['--top', '3', '--top', '4', 'a.log'],
  ['--top=', 'a.log'],
  ['--top', 'x', 'a.log'],
  ['--json', '--json', '-', 'a.log'],
  ['', 'a.log'],
];

const LEFT_TO_THE_PROGRAM: string[][] = [
  [],
  ['--json'],
  ['--help'],
  ['-h', 'a.log'],
  ['a.log', '--chart', 'x.png'],
  ['--chart=x.png', 'a.log'],
  ['--', 'a.log'],
  ['--jsn', 'a.log'],
  ['--json=yes', 'a.log'],
  ['-5', 'a.log'],
  ['a.log', '--top'],
  ['--top', '-1', 'a.log'],
  ['--top=-1', 'a.log'],
  ['--since', '--json', 'a.log'],
];

describe('scan-logs arguments read without commander', () => {
  it.each(PLAIN.map((args) => [args]))('a plain scan: %j, read as commander reads it', async (args) => {
    const plain = parsePlainScanLogs(args);
    expect(plain).not.toBeNull();
    expect(withDefaults(plain!)).toEqual(await commanderReads(args));
  });

  it.each(LEFT_TO_THE_PROGRAM.map((args) => [args]))('left to the program: %j', (args) => {
    expect(parsePlainScanLogs(args)).toBeNull();
  });
});
