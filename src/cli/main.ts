#!/usr/bin/env node
import { describeError, main } from './program.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rancher-doctor: ${describeError(err)}\n`);
    process.exitCode = 2;
  },
);
