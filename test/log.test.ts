import { describe, expect, it } from '@jest/globals';
import { humanLogLine } from '../src/log.js';

const record = (o: Record<string, unknown>) =>
  JSON.stringify({ time: 1, pid: 7, hostname: 'h', ...o }) + '\n';

describe('humanLogLine (the CLI form of a pino record)', () => {
  it('level, component and message; fields the message does not state, in parentheses', () => {
    expect(
      humanLogLine(
        record({
          level: 40,
          component: 'rancher',
          msg: 'retrying list pods after HTTP 503',
          failure: 'HTTP 503',
          attempt: 2,
        }),
      ),
    ).toBe('rancher-doctor: warn [rancher]: retrying list pods after HTTP 503 (attempt=2)\n');
  });

  it('drops records below the level asked for', () => {
    expect(humanLogLine(record({ level: 30, msg: 'hello' }), 40)).toBeNull();
    expect(
      humanLogLine(
        record({ level: 50, msg: 'bad', err: { message: 'boom', stack: 'Error: boom\n    at x' } }),
        40,
      ),
    ).toBe('rancher-doctor: error: bad (boom)\n');
  });

  it('a line that is not JSON is passed on as text', () => {
    expect(humanLogLine('plain words\n')).toBe('rancher-doctor: plain words\n');
  });
});
