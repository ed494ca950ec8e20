import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectGolden, expectMessageGolden } from './support/golden.js';
import { message, section } from '../src/slack/render/blocks.js';

describe('golden files', () => {
  let dir: string;
  const update = process.env.UPDATE_GOLDEN;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rd-golden-'));
    delete process.env.UPDATE_GOLDEN;
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (update === undefined) delete process.env.UPDATE_GOLDEN;
    else process.env.UPDATE_GOLDEN = update;
  });

  it('a missing one fails, says how to create it, and is not written', () => {
    const file = join(dir, 'new', 'message.json');
    expect(() => expectGolden(file, '{}\n')).toThrow(
      /golden file .*new\/message\.json is missing: create it with UPDATE_GOLDEN=1 npm test -- test\/golden\.test\.ts/,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('is written only with UPDATE_GOLDEN=1, then compared', () => {
    const file = join(dir, 'new', 'message.json');
    process.env.UPDATE_GOLDEN = '1';
    expectGolden(file, '{ "a": 1 }\n');
    expect(readFileSync(file, 'utf8')).toBe('{ "a": 1 }\n');
    delete process.env.UPDATE_GOLDEN;
    expectGolden(file, '{ "a": 1 }\n');
  });

  it('a different text fails and leaves the file as it was', () => {
    const file = join(dir, 'message.json');
    writeFileSync(file, 'before\n');
    expect(() => expectGolden(file, 'after\n')).toThrow();
    expect(readFileSync(file, 'utf8')).toBe('before\n');
  });

  it('a Slack message has a readable .txt beside its .json, and a missing one fails the same way', () => {
    const file = join(dir, 'message.json');
    const msg = message('Hello', [section('*Hi*')]);
    process.env.UPDATE_GOLDEN = '1';
    expectMessageGolden(file, msg);
    delete process.env.UPDATE_GOLDEN;
    expect(readFileSync(join(dir, 'message.txt'), 'utf8')).toContain('*Hi*');
    expectMessageGolden(file, msg);
    rmSync(join(dir, 'message.txt'));
    expect(() => expectMessageGolden(file, msg)).toThrow(
      /golden file .*message\.txt is missing: create it with UPDATE_GOLDEN=1 npm test -- test\/golden\.test\.ts/,
    );
    expect(existsSync(join(dir, 'message.txt'))).toBe(false);
  });
});
