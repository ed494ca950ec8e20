import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCliInProcess, runCliProcess } from './support/cli.js';
import { parseSince, type ScanLogsJson } from '../src/cli/scan-logs.js';
import { progressLine } from '../src/cli/progress-bar.js';
import { sparkline } from '../src/report/render-activity.js';
import { inFormat, requestLogLines, type ApiserverLogFormat } from './standin/apiserver-log.js';

const cli = runCliInProcess;

const H46DC = '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes/machine-h46dc';
const START = Date.parse('2022-05-07T08:20:00Z');

/**
 * Ten minutes of log: machine-h46dc PUT every 200 ms (300/min), seven config maps written once a
 * minute each, and a GET of a pod every 2 s; plus a line that is not a request.
 */
function incidentLog(format: ApiserverLogFormat, minutes = 10): string {
  const lines: string[] = [];
  const emit = (method: string, path: string, ms: number) => {
    const req = { method, path, userAgent: 'rancher', srcIP: '10.0.0.1', status: 200 };
    for (const l of requestLogLines(req, ['satisfied-by'], ms))
      lines.push(inFormat(l.text, ms, l.micros, format));
  };
  for (let ms = START; ms < START + minutes * 60_000; ms += 200) {
    emit('PUT', H46DC, ms);
    const step = (ms - START) / 200;
    if (step % 300 < 7) emit('PUT', `/api/v1/namespaces/kube-system/configmaps/cm-${step % 300}`, ms);
    if (step % 10 === 0) emit('GET', '/api/v1/namespaces/cattle-system/pods/agent-1', ms);
  }
  lines.push(
    inFormat(
      'I0507 08:30:00.000000       1 controller.go:611] quota admission added evaluator',
      START,
      0,
      format,
    ),
  );
  return `${lines.join('\n')}\n`;
}

function quietLog(): string {
  const lines: string[] = [];
  for (let ms = START; ms < START + 5 * 60_000; ms += 2000) {
    const req = {
      method: 'PUT',
      path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x',
      userAgent: 'k',
      srcIP: '10.0.0.1',
      status: 200,
    };
    for (const l of requestLogLines(req, ['satisfied-by'], ms))
      lines.push(inFormat(l.text, ms, l.micros, 'klog'));
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
let rke1: string;
let cri: string;
let quiet: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rd-scan-logs-'));
  rke1 = join(dir, 'kube-apiserver-json.log');
  cri = join(dir, 'kube-apiserver.log.gz');
  quiet = join(dir, 'quiet.log');
  writeFileSync(rke1, incidentLog('docker-json'));
  writeFileSync(cri, gzipSync(incidentLog('cri')));
  writeFileSync(quiet, quietLog());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rancher-doctor scan-logs: finding', () => {
  it('prints the hot node object as a table and exits 1', async () => {
    const r = await cli(['scan-logs', rke1]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Scanned .*kube-apiserver-json\.log: [\d.]+ MiB, 20,221 lines \(1 not request lines\)\.$/,
    );
    expect(r.stdout).toContain('Formats: docker-json 20,221 lines.');
    expect(r.stdout).toContain(
      'Counted handler.go "satisfied by" lines (one per request): 3,370 requests on 9 objects.',
    );
    expect(r.stdout).toContain('Window: 2022-05-07 08:20:00Z to 2022-05-07 08:29:59Z.');
    expect(r.stdout).toContain('1 hot object (over 60 writes/min and 5x the typical writer):');
    const header = lines.find((l) => l.includes('OBJECT'))!;
    expect(header.trim().split(/\s{2,}/)).toEqual([
      '#',
      'OBJECT',
      'CLUSTER',
      'NODE',
      'WRITES',
      'PER MIN',
      'FIRST SEEN',
      'LAST SEEN',
      'WRITES BY MINUTE',
    ]);
    const row = lines.find((l) => l.includes('machine-h46dc') && l.trim().startsWith('1 '))!;
    expect(row.trim().split(/\s{2,}/)).toEqual([
      '1',
      'nodes.management.cattle.io c-dql6k/machine-h46dc',
      'c-dql6k',
      'machine-h46dc',
      '3,000',
      '300.0',
      '2022-05-07 08:20:00Z',
      '2022-05-07 08:29:59Z',
      '██████████',
    ]);
    expect(r.stdout).toContain(`rancher-doctor diagnose --cluster c-dql6k --log-file ${rke1}`);
  });

  it('--json gives the summary with the inputs and the rule; the same counts from a gzipped CRI log', async () => {
    const plain = await cli(['scan-logs', '--json', rke1]);
    const zipped = await cli(['scan-logs', cri, '--json']);
    expect(plain.code).toBe(1);
    expect(zipped.code).toBe(1);
    const a = JSON.parse(plain.stdout) as ScanLogsJson;
    const b = JSON.parse(zipped.stdout) as ScanLogsJson;
    expect(a).toMatchObject({
      inputs: [rke1],
      since: null,
      threshold: 60,
      farAboveFactor: 5,
      signal: 'satisfied-by',
      formats: { 'docker-json': 20221 },
      linesRead: 20221,
      linesSkipped: 1,
      requestsCounted: 3370,
      distinctObjects: 9,
      windowStart: '2022-05-07T08:20:00.000Z',
      hotTotal: 1,
    });
    expect(b.formats).toEqual({ cri: 20221 });
    expect(a.hot).toHaveLength(1);
    const hot = a.hot[0]!;
    expect(hot).toMatchObject({
      key: H46DC,
      rank: 1,
      writes: 3000,
      reads: 0,
      verbs: { PUT: 3000 },
      writesPerMinute: 300,
      rancherNode: { clusterId: 'c-dql6k', nodeId: 'machine-h46dc' },
      perMinute: [300, 300, 300, 300, 300, 300, 300, 300, 300, 300],
      perMinuteStart: '2022-05-07T08:20:00.000Z',
    });
    expect(b.hot.map(({ key, writes, perMinute }) => ({ key, writes, perMinute }))).toEqual([
      { key: hot.key, writes: hot.writes, perMinute: hot.perMinute },
    ]);
  });

  it('--threshold raises the bar; --top cuts the list but hotTotal tells how many there were', async () => {
    const high = await cli(['scan-logs', rke1, '--threshold', '301', '--json']);
    expect(high.code).toBe(0);
    expect((JSON.parse(high.stdout) as ScanLogsJson).hot).toEqual([]);
    const twoFiles = await cli(['scan-logs', rke1, quiet, '--threshold', '20', '--json', '--top', '1']);
    const json = JSON.parse(twoFiles.stdout) as ScanLogsJson;
    expect(json.hotTotal).toBe(2);
    expect(json.hot.map((h) => h.key)).toEqual([H46DC]);
    const table = await cli(['scan-logs', rke1, quiet, '--threshold', '20', '--top', '1']);
    expect(table.stdout).toContain(
      '2 hot objects (over 20 writes/min and 5x the typical writer), the 1 hottest shown (--top):',
    );
  });

  it('--since leaves out what came before the given time', async () => {
    const r = await cli(['scan-logs', rke1, '--since', '2022-05-07T08:25:00Z', '--json']);
    const json = JSON.parse(r.stdout) as ScanLogsJson;
    expect(json.since).toBe('2022-05-07T08:25:00.000Z');
    expect(json.windowStart).toBe('2022-05-07T08:25:00.000Z');
    expect(json.hot[0]).toMatchObject({ writes: 1500, perMinute: [300, 300, 300, 300, 300] });
    // The log is from 2022: thirty minutes back from now leaves nothing.
    const recent = await cli(['scan-logs', rke1, '--since', '30m', '--json']);
    expect(recent.code).toBe(0);
    expect(JSON.parse(recent.stdout)).toMatchObject({ requestsCounted: 0, hot: [] });
  });

  it('exits 0 and says so when no object is written in a loop', async () => {
    const r = await cli(['scan-logs', quiet]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Counted handler.go "satisfied by" lines (one per request): 150 requests on 1 object.',
    );
    expect(r.stdout).toContain(
      'No object is written in a loop (over 60 writes/min and 5x the typical writer).',
    );
  });

  it('--chart draws the hot objects to a PNG (stdout stays the JSON); none when nothing loops', async () => {
    const png = join(dir, 'loop.png');
    const r = await cli(['scan-logs', rke1, '--json', '--chart', png]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toHaveProperty('hotTotal', 1);
    expect(r.stderr).toMatch(/Chart of the loop written to .*loop\.png \([\d,]+ bytes\)/);
    expect(readFileSync(png).subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    const none = join(dir, 'none.png');
    const q = await cli(['scan-logs', quiet, '--chart', none]);
    expect(q.code).toBe(0);
    expect(q.stderr).toContain('no object is written in a loop');
    expect(existsSync(none)).toBe(false);
  });

  it('says what to do when the log has no request lines at all', async () => {
    const plain = join(dir, 'no-requests.log');
    writeFileSync(
      plain,
      'I0507 08:24:37.493121       1 controller.go:611] quota admission added evaluator\n',
    );
    const r = await cli(['scan-logs', plain]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No request lines found.');
    expect(r.stdout).toContain('audit log');
  });
});

describe('rancher-doctor scan-logs: bad input changes nothing and exits 2', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['scan-logs', join(dir, 'nope.log')], /nope\.log: no such file/],
    ['a directory', () => ['scan-logs', dir], /is a directory, not a log file/],
    ['a corrupt gzip', () => ['scan-logs', corruptGzip()], /broken\.log\.gz: (corrupt|truncated) gzip data/],
    ['--top 0', () => ['scan-logs', rke1, '--top', '0'], /--top: "0" is not a whole number of 1 or more/],
    ['--top x', () => ['scan-logs', rke1, '--top', 'x'], /--top: "x" is not a whole number/],
    [
      '--threshold -1',
      () => ['scan-logs', rke1, '--threshold', '-1'],
      /--threshold: "-1" is not a number above 0/,
    ],
    ['--since soon', () => ['scan-logs', rke1, '--since', 'soon'], /--since: "soon" is neither a duration/],
    ['stdin twice', () => ['scan-logs', '-', '-'], /standard input\) can be read once/],
    ['no file', () => ['scan-logs'], /missing required argument 'file'/],
    ['an unknown option', () => ['scan-logs', rke1, '--fast'], /unknown option '--fast'/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await cli(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('checks every file before reading any: a bad second file fails fast', async () => {
    const r = await cli(['scan-logs', rke1, join(dir, 'missing.log')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`rancher-doctor: ${join(dir, 'missing.log')}: no such file\n`);
  });
});

function corruptGzip(): string {
  const file = join(dir, 'broken.log.gz');
  const good = gzipSync(incidentLog('klog', 1));
  writeFileSync(file, Buffer.concat([good.subarray(0, 20), Buffer.alloc(200, 0x41)]));
  return file;
}

describe('rancher-doctor scan-logs as a process', () => {
  it('reads standard input with -, gzipped or not', async () => {
    const sub = join(dir, 'stdin');
    mkdirSync(sub, { recursive: true });
    for (const input of [Buffer.from(incidentLog('klog', 2)), gzipSync(incidentLog('klog', 2))]) {
      const r = await runCliProcess(['scan-logs', '-', '--json'], { stdin: input });
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as ScanLogsJson;
      expect(json.inputs).toEqual(['-']);
      expect(json.formats).toEqual({ klog: 4045 });
      expect(json.hot[0]).toMatchObject({ key: H46DC, writes: 600 });
    }
  }, 60000);
});

describe('pieces of the output', () => {
  it('parseSince takes durations back from now and RFC 3339 times', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(parseSince('30m', now)).toBe(Date.parse('2026-01-01T11:30:00Z'));
    expect(parseSince('1h30m', now)).toBe(Date.parse('2026-01-01T10:30:00Z'));
    expect(parseSince('2022-05-07T08:00:00+02:00', now)).toBe(Date.parse('2022-05-07T06:00:00Z'));
    for (const bad of ['0m', '30', 'yesterday', '2022-05-07', '2022-13-40T99:00:00Z']) {
      expect(() => parseSince(bad, now)).toThrow(/--since/);
    }
  });

  it('a sparkline sums minutes into at most 30 marks and leaves quiet minutes blank', () => {
    expect(sparkline([])).toBe('');
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▁▂▄█');
    const long = Array.from({ length: 120 }, (_, i) => (i < 60 ? 1 : 2));
    expect(sparkline(long)).toBe('▄'.repeat(15) + '█'.repeat(15));
  });

  it('the progress line shows the share, the bytes, the rate and the file, cut to the terminal', () => {
    const line = progressLine({ path: 'big.log', bytesDone: 512 << 20, bytesTotal: 1 << 30 }, 2000, 120);
    expect(line).toBe('[############............]  50%  512.0 MiB of 1.0 GiB  256.0 MiB/s  big.log');
    expect(progressLine({ path: '-', bytesDone: 3 << 20, bytesTotal: null }, 1000, 120)).toBe(
      '3.0 MiB read  3.0 MiB/s  standard input',
    );
    expect(progressLine({ path: 'big.log', bytesDone: 1, bytesTotal: 2 }, 1000, 20)).toHaveLength(19);
  });
});
