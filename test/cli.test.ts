import { describe, expect, it } from '@jest/globals';
import { main } from '../src/cli/program.js';

describe('rancher-doctor CLI', () => {
  it('exits 2 with a message on an unknown subcommand', async () => {
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['no-such-command'])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(writes.join('')).toMatch(/error:/);
  });
});
