import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { main } from '../../src/cli/program.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

describe('rancher-doctor bot | worker | serve', () => {
  it.each(['bot', 'worker', 'serve'])('%s with a missing setting exits 2 naming it', async (role) => {
    delete process.env.SLACK_BOT_TOKEN;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main([role])).toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('SLACK_BOT_TOKEN');
  });
  it('a bad PORT is named', async () => {
    process.env.SLACK_BOT_TOKEN = 'xoxb-1';
    process.env.SLACK_SIGNING_SECRET = 's';
    process.env.PORT = 'http';
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['bot'])).toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('PORT');
  });
});
