import { createInterface } from 'node:readline';
import { inspectInput, openInputStream } from './open-input.js';

/**
 * Every line of the named files (gzipped or not), in order, for a second look at a few of them
 * (an audit log's request bodies of the hot objects). Standard input was read once already and
 * cannot be read again: it is skipped.
 */
export async function eachLine(files: string[], onLine: (text: string) => void): Promise<void> {
  for (const path of files) {
    if (path === '-') continue;
    const lines = createInterface({ input: openInputStream(await inspectInput(path)), crlfDelay: Infinity });
    for await (const line of lines) onLine(line);
  }
}
