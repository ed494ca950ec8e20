import { describe, expect, it } from '@jest/globals';
import { oneLine } from '../../src/text/one-line.js';
import { plural } from '../../src/text/plural.js';
import { nameKey } from '../../src/text/name-key.js';
import { resolveCluster } from '../../src/queue/cluster-cache.js';

describe('plural', () => {
  it('says 1 object, 0 objects, 2 objects', () => {
    expect(plural(1, 'object')).toBe('1 object');
    expect(plural(0, 'object')).toBe('0 objects');
    expect(plural(2, 'update')).toBe('2 updates');
  });
  it('groups thousands and takes an irregular plural', () => {
    expect(plural(32500, 'line')).toBe('32,500 lines');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });
});

describe('oneLine', () => {
  it('keeps a short line as it is', () => expect(oneLine('diagnoze c-1')).toBe('diagnoze c-1'));
  it('cuts a long line to the limit, with an ellipsis', () => {
    const out = oneLine('x'.repeat(5000), 60);
    expect([...out]).toHaveLength(60);
    expect(out.endsWith('…')).toBe(true);
  });
  it('keeps only the first line, saying more followed', () =>
    expect(oneLine('first\nsecond')).toBe('first…'));
  it('does not split a character made of two UTF-16 units', () =>
    expect(oneLine('😀'.repeat(10), 5)).toBe('😀😀😀😀…'));
});

describe('cluster names as typed', () => {
  const clusters = [
    { id: 'c-dql6k', name: 'prod-east', driver: null },
    { id: 'c-zr7q2', name: 'Zürich Prod', driver: null },
  ];
  it('match whatever the case, Unicode form and runs of spaces', () => {
    expect(nameKey('Zu\u0308rich   PROD')).toBe(nameKey('Zürich Prod'));
    expect(resolveCluster(clusters, 'zu\u0308rich  prod')?.id).toBe('c-zr7q2');
    expect(resolveCluster(clusters, 'c-dql6k')?.id).toBe('c-dql6k');
    expect(resolveCluster(clusters, 'Zürich')).toBeNull();
  });
});
