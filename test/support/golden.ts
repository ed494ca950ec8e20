import { expect } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { SlackMessage } from '../../src/slack/render/blocks.js';
import { messageAsText } from '../../src/slack/render/as-text.js';

/**
 * Compares `actual` with a golden file. Only `UPDATE_GOLDEN=1` writes one: a golden that
 * appeared by itself would pass whatever the code printed, and nobody would have read it.
 */
export function expectGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    const testFile = relative(process.cwd(), expect.getState().testPath ?? '<test file>');
    throw new Error(
      `golden file ${relative(process.cwd(), file)} is missing: create it with ` +
        `UPDATE_GOLDEN=1 npm test -- ${testFile}, read it, and commit it`,
    );
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/**
 * A Slack message's golden `<name>.json` and, beside it, `<name>.txt`: the JSON is what Slack
 * gets, the text is what a reviewer reads in a diff (the JSON of a button or a confirm dialog
 * hides what the message says).
 */
export function expectMessageGolden(jsonFile: string, msg: SlackMessage): void {
  if (!jsonFile.endsWith('.json')) throw new Error(`a message golden is a .json file: ${jsonFile}`);
  expectGolden(jsonFile, JSON.stringify(msg, null, 2) + '\n');
  expectGolden(jsonFile.replace(/\.json$/, '.txt'), messageAsText(msg));
}
