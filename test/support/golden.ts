import { expect } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

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
