/**
 * Writes BYTES bytes to standard output the way MODE says, then exits with code 3 through
 * exitOnceWritten: `report` with writeStandardOutput (write(2)), `stream` with process.stdout,
 * `nonblocking` with writeStandardOutput once process.stdout was made (which, for a pipe, makes
 * the descriptor non-blocking: write(2) then fails with EAGAIN when the pipe is full).
 * On fd 2 first: whether stderr was taken for a terminal, and the handles
 * (process.getActiveResourcesInfo) the write and that check made. Plain JavaScript over the
 * built modules (npm test builds them first), as the CLI runs: no loader with pipes of its own.
 */
import { writeSync } from 'node:fs';
import { exitOnceWritten } from '../../dist/src/cli/exit-once-written.js';
import { terminalStderr, writeStandardOutput } from '../../dist/src/cli/standard-output.js';

const before = process.getActiveResourcesInfo();
// (Taken before `nonblocking` makes process.stdout.)
const bytes = Number(process.env.BYTES);
const text = 'x'.repeat(bytes - 1) + '\n';
if (process.env.MODE === 'stream') process.stdout.write(text);
else {
  if (process.env.MODE === 'nonblocking') void process.stdout;
  writeStandardOutput(text);
}
const terminal = terminalStderr();
const made = [...process.getActiveResourcesInfo()];
for (const name of before) made.splice(made.indexOf(name), 1);
writeSync(2, `${JSON.stringify({ terminal: terminal !== null, made })}\n`);
exitOnceWritten(3);
