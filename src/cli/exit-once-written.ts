/** Exits with `code` once what was written to stdout and stderr is out. */
export function exitOnceWritten(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
