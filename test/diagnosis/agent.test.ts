import { describe, expect, it } from '@jest/globals';
import { createAgentLogParser, lineTime } from '../../src/diagnosis/agent.js';

const WORDINGS = [
  'waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first',
  'Waiting for node to register. Either cluster is not ready for registering or etcd and controlplane node have to be registered first',
  'Waiting for node to register. Either cluster is not ready for registering, cluster is currently provisioning, or etcd, controlplane and worker node have to be registered',
];

describe('agent log parser', () => {
  it('counts every wording, error lines, and the last time, across chunk boundaries', () => {
    const lines = [
      'time="2022-05-07T08:24:31Z" level=info msg="Rancher agent version v2.6.3 is starting"',
      ...WORDINGS.map((w, i) => `time="2022-05-07T08:24:3${3 + i}Z" level=info msg="${w}"`),
      'time="2022-05-07T08:24:39Z" level=error msg="Error while getting agent config: invalid response 500: failed"',
      'time="2022-05-07T08:24:41Z" level=info msg="Starting plan monitor"',
    ];
    const text = lines.join('\n') + '\n';
    const parser = createAgentLogParser();
    for (let i = 0; i < text.length; i += 7) parser.push(Buffer.from(text.slice(i, i + 7)));
    parser.end();
    const r = parser.result({ namespace: 'cattle-system', name: 'cattle-node-agent-abcde' });
    expect(r).toMatchObject({
      namespace: 'cattle-system',
      podName: 'cattle-node-agent-abcde',
      waitingLines: 3,
      errorLines: 1,
      lastWaitingAt: '2022-05-07T08:24:35.000Z',
    });
    expect(r.sample).toHaveLength(4);
    expect(r.sample[3]).toContain('Error while getting agent config');
  });

  it('reads a last line without newline and ignores unrelated text', () => {
    const parser = createAgentLogParser();
    parser.push('not a log line\n');
    parser.push(`2022-05-07T08:24:37.123456789Z ${WORDINGS[1]}`);
    parser.end();
    const r = parser.result({ namespace: 'cattle-system', name: 'p' });
    expect(r.waitingLines).toBe(1);
    expect(r.lastWaitingAt).toBe('2022-05-07T08:24:37.123Z');
  });

  it('finds no time in a line that has none', () => {
    expect(lineTime('level=info msg="x"')).toBeNull();
  });
});
