/**
 * Every log format, recognised per line with no configuration: Docker json-file (RKE1), CRI with
 * partial lines, plain klog, and the audit log; all of them mixed in one file.
 */
import { describe, expect, test } from '@jest/globals';
import {
  INCIDENT_LINE,
  HOT_NODE,
  auditLine,
  criPartials,
  handlerText,
  lines,
  objectOf,
  objectsOf,
  rfc3339,
  scan,
  verbTable,
  wrap,
  HOT_NODE_REF,
  HOT_NODE_AUDIT_REF,
} from './helpers.js';

const T0 = Date.parse('2022-05-07T08:24:37.493Z');

describe('Docker json-file (RKE1)', () => {
  test('the incident line is one PUT of machine-h46dc at the wrapper time', () => {
    const { summary, counts } = scan(lines(INCIDENT_LINE));
    expect(summary).toEqual({
      signal: 'satisfied-by',
      signalsSeen: { 'satisfied-by': 1 },
      formats: { 'docker-json': 1 },
      bytesRead: INCIDENT_LINE.length + 1,
      linesRead: 1,
      linesSkipped: 0,
      requestsCounted: 1,
      distinctObjects: 1,
      windowStart: '2022-05-07T08:24:37.495Z',
      windowEnd: '2022-05-07T08:24:37.495Z',
      hot: [],
    });
    expect(objectOf(counts, HOT_NODE)).toEqual({
      key: HOT_NODE,
      ref: HOT_NODE_REF,
      verbs: { PUT: 1 },
      writes: 1,
      reads: 0,
      firstSeen: '2022-05-07T08:24:37.495Z',
      lastSeen: '2022-05-07T08:24:37.495Z',
      perMinute: [1],
      perMinuteStart: '2022-05-07T08:24:00.000Z',
    });
  });

  test('the incident line without its final newline (last line of a file) still counts', () => {
    const { summary } = scan(INCIDENT_LINE);
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([1, 0, 1]);
  });

  test('a request path with JSON escapes in the log string is decoded (slow path)', () => {
    // Docker escapes <, > and & as \u003c, \u003e, \u0026; a path with one goes through JSON.parse.
    const path = '/api/v1/namespaces/default/configmaps/a\\u0026b';
    const line =
      '{"log":"I0507 08:24:37.493121 1 handler.go:153] kube-aggregator: PUT \\"' +
      path +
      '\\" satisfied by nonGoRestful\\n","stream":"stderr","time":"2022-05-07T08:24:37.495902397Z"}';
    const query =
      '{"log":"I0507 08:24:37.493121 1 handler.go:153] kube-aggregator: GET \\"/api/v1/namespaces/default/pods?labelSelector=a%3Db\\u0026limit=500\\" satisfied by nonGoRestful\\n","stream":"stderr","time":"2022-05-07T08:24:38.000000000Z"}';
    const { summary, counts } = scan(lines(line, query));
    expect(summary.requestsCounted).toBe(2);
    expect(summary.linesSkipped).toBe(0);
    expect(verbTable(counts)).toEqual({
      '/api/v1/namespaces/default/configmaps/a&b': { PUT: 1 },
      '/api/v1/namespaces/default/pods': { LIST: 1 },
    });
  });

  test('other messages in the wrapper are read and skipped; stdout lines are read too', () => {
    const other = JSON.stringify({
      log: 'I0507 08:24:37.000001       1 controller.go:611] quota admission added evaluator for: leases\n',
      stream: 'stderr',
      time: rfc3339(T0),
    });
    const stdout = JSON.stringify({
      log: `${handlerText(T0, 'kube-aggregator', 'DELETE', '/api/v1/namespaces/x/pods/p')}\n`,
      stream: 'stdout',
      time: rfc3339(T0),
    });
    const { summary, counts } = scan(lines(other, stdout));
    expect(summary.formats).toEqual({ 'docker-json': 2 });
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([2, 1, 1]);
    expect(verbTable(counts)).toEqual({ '/api/v1/namespaces/x/pods/p': { DELETE: 1 } });
  });
});

describe('CRI (RKE2, kubeadm)', () => {
  test('an F line is one request at the CRI time stamp', () => {
    const text = handlerText(T0, 'kube-aggregator', 'PATCH', HOT_NODE);
    const { summary, counts } = scan(lines(`2022-05-07T08:24:37.600000001Z stderr F ${text}`));
    expect(summary.formats).toEqual({ cri: 1 });
    expect(summary.requestsCounted).toBe(1);
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PATCH: 1 });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.600Z');
  });

  test('P partial lines are joined with their F line, whatever the cut', () => {
    const text = handlerText(T0, 'kube-aggregator', 'PUT', HOT_NODE);
    const cutsList = [[1], [10, 50], [text.indexOf('"'), text.indexOf('satisfied') + 3], [text.length - 1]];
    for (const cuts of cutsList) {
      const parts = criPartials(text, T0, cuts);
      const { summary, counts } = scan(lines(...parts));
      expect(summary.linesRead).toBe(cuts.length + 1);
      expect(summary.linesSkipped).toBe(0);
      expect(summary.formats).toEqual({ cri: cuts.length + 1 });
      expect(summary.requestsCounted).toBe(1);
      expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 1 });
    }
  });

  test('partials of stdout and stderr are joined apart', () => {
    const a = handlerText(T0, 'kube-aggregator', 'PUT', `${HOT_NODE}`);
    const b = handlerText(T0, 'kube-aggregator', 'POST', '/api/v1/namespaces/x/events');
    const [a1, a2] = criPartials(a, T0, [30]);
    const [b1, b2] = criPartials(b, T0, [40]).map((l) => l.replace(' stderr ', ' stdout '));
    const { summary, counts } = scan(lines(a1!, b1!, a2!, b2!));
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([4, 0, 2]);
    expect(verbTable(counts)).toEqual({
      [HOT_NODE]: { PUT: 1 },
      '/api/v1/namespaces/x/events': { POST: 1 },
    });
  });

  test('a partial never finished is skipped at the end, and so is a joined message that is no request', () => {
    const text = handlerText(T0, 'kube-aggregator', 'PUT', HOT_NODE);
    const [p1, p2] = criPartials('I0507 08:24:37.000001 1 controller.go:611] a long message', T0, [20]);
    const [q1] = criPartials(text, T0, [30]);
    const { summary } = scan(lines(p1!, p2!, q1!));
    expect(summary).toMatchObject({ linesRead: 3, linesSkipped: 3, requestsCounted: 0, signal: null });
  });
});

describe('plain klog', () => {
  test('handler lines of every severity letter are read', () => {
    const text = handlerText(T0, 'kube-aggregator', 'PUT', HOT_NODE);
    const { summary, counts } = scan(
      lines(text, `W${text.slice(1)}`, `E${text.slice(1)}`, `F${text.slice(1)}`),
    );
    expect(summary.formats).toEqual({ klog: 4 });
    expect(objectOf(counts, HOT_NODE).verbs).toEqual({ PUT: 4 });
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.493Z');
  });

  test('the example header of the spec (`I0507 08:24:37.492998 1 handler.go:153] ...`) parses', () => {
    const line = `I0507 08:24:37.492998 1 handler.go:153] kube-apiserver: PUT "${HOT_NODE}" satisfied by nonGoRestful`;
    const { summary, counts } = scan(lines(line));
    expect(summary.requestsCounted).toBe(1);
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.492Z');
  });

  test('lines that only look like klog are skipped', () => {
    const { summary } = scan(
      lines(
        'I am not a log line',
        'I0507 08:24:37.492998 1 handler.go:153]', // header, no message
        'I1307 08:24:37.492998 1 handler.go:153] kube-apiserver: PUT "/api/v1/pods" satisfied by x', // month 13
        `I0507 08:24:37.492998 1 handler.go:153] kube-apiserver: PUT "${HOT_NODE}" satisfied`,
        `I0507 08:24:37.492998 1 handler.go:153] kube-apiserver: put "${HOT_NODE}" satisfied by nonGoRestful`,
      ),
    );
    expect(summary).toMatchObject({ linesRead: 5, linesSkipped: 5, requestsCounted: 0, signal: null });
  });
});

describe('audit.k8s.io/v1 Event lines', () => {
  const node = HOT_NODE_AUDIT_REF;

  test('only ResponseComplete counts: one request per auditID', () => {
    const { summary, counts } = scan(
      lines(
        auditLine('RequestReceived', 'update', node, T0),
        auditLine('ResponseComplete', 'update', node, T0),
        auditLine('RequestReceived', 'watch', { ...node, name: undefined }, T0, 'w1'),
        auditLine('ResponseStarted', 'watch', { ...node, name: undefined }, T0, 'w1'),
        auditLine('ResponseComplete', 'watch', { ...node, name: undefined }, T0 + 60_000, 'w1'),
        auditLine('Panic', 'update', node, T0, 'p1'),
      ),
    );
    expect(summary.signal).toBe('audit');
    expect(summary.signalsSeen).toEqual({ audit: 2 });
    expect(summary.formats).toEqual({ audit: 6 });
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([6, 0, 2]);
    expect(verbTable(counts)).toEqual({
      [HOT_NODE]: { PUT: 1 },
      '/apis/management.cattle.io/v3/namespaces/c-dql6k/nodes': { WATCH: 1 },
    });
    // Time is the request's arrival (requestReceivedTimestamp), not the stage's.
    expect(objectOf(counts, HOT_NODE).firstSeen).toBe('2022-05-07T08:24:37.493Z');
  });

  test('verbs: update PUT, patch PATCH, create POST, delete DELETE; get, list, watch are reads', () => {
    const pod = { resource: 'pods', namespace: 'default', name: 'web-0', apiVersion: 'v1' };
    const pods = { resource: 'pods', namespace: 'default', apiVersion: 'v1' };
    const { summary, counts } = scan(
      lines(
        auditLine('ResponseComplete', 'update', pod, T0),
        auditLine('ResponseComplete', 'patch', pod, T0 + 1),
        auditLine('ResponseComplete', 'patch', pod, T0 + 2),
        auditLine('ResponseComplete', 'delete', pod, T0 + 3),
        auditLine('ResponseComplete', 'get', pod, T0 + 4),
        auditLine('ResponseComplete', 'create', pods, T0 + 5),
        auditLine('ResponseComplete', 'list', pods, T0 + 6),
        auditLine('ResponseComplete', 'watch', pods, T0 + 7),
        auditLine('ResponseComplete', 'update', { ...pod, subresource: 'status' }, T0 + 8),
      ),
    );
    expect(summary.requestsCounted).toBe(9);
    const all = objectsOf(counts);
    expect([...all.keys()].sort()).toEqual([
      '/api/v1/namespaces/default/pods',
      '/api/v1/namespaces/default/pods/web-0',
      '/api/v1/namespaces/default/pods/web-0/status',
    ]);
    expect(all.get('/api/v1/namespaces/default/pods/web-0')).toMatchObject({
      verbs: { PUT: 1, PATCH: 2, DELETE: 1, GET: 1 },
      writes: 4,
      reads: 1,
    });
    expect(all.get('/api/v1/namespaces/default/pods')).toMatchObject({
      verbs: { POST: 1, LIST: 1, WATCH: 1 },
      writes: 1,
      reads: 2,
    });
    expect(all.get('/api/v1/namespaces/default/pods/web-0/status')).toMatchObject({
      ref: { subresource: 'status', name: 'web-0' },
      verbs: { PUT: 1 },
    });
  });

  test('a truncated event is skipped, whatever its stage and wherever it was cut', () => {
    for (const stage of ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const) {
      const json = auditLine(stage, 'update', node, T0);
      const cut: string[] = [];
      for (let at = 1; at < json.length; at++) cut.push(json.slice(0, at));
      const { summary } = scan(lines(...cut));
      expect([stage, summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([
        stage,
        json.length - 1,
        json.length - 1,
        0,
      ]);
    }
  });

  test('a JSON line that is not an audit.k8s.io event is skipped', () => {
    const { summary } = scan(
      lines(
        '{"kind":"Event"}',
        '{"kind":"Event","apiVersion":"v1","stage":"RequestReceived"}',
        '{"kind":"Event","apiVersion":"events.k8s.io/v1","stage":"ResponseComplete","verb":"update"}',
      ),
    );
    expect(summary).toMatchObject({ linesRead: 3, linesSkipped: 3, formats: {} });
  });

  test('a non-resource request (no objectRef) is read but addresses no object', () => {
    const healthz = JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: 'h',
      stage: 'ResponseComplete',
      requestURI: '/healthz',
      verb: 'get',
      requestReceivedTimestamp: '2022-05-07T08:24:37.493123Z',
      stageTimestamp: '2022-05-07T08:24:37.493456Z',
    });
    const { summary } = scan(lines(healthz));
    expect(summary).toMatchObject({ linesRead: 1, linesSkipped: 0, requestsCounted: 0, distinctObjects: 0 });
  });
});

describe('all formats mixed in one file, no configuration', () => {
  test('each line is recognised by itself', () => {
    const cri = criPartials(handlerText(T0 + 2000, 'kube-aggregator', 'PUT', HOT_NODE), T0 + 2000, [25]);
    const input = lines(
      INCIDENT_LINE,
      wrap(handlerText(T0 + 1000, 'kube-aggregator', 'PUT', HOT_NODE), 'cri', T0 + 1000),
      ...cri,
      handlerText(T0 + 3000, 'kube-aggregator', 'PUT', HOT_NODE),
      'some junk',
      wrap(handlerText(T0 + 4000, 'kube-aggregator', 'GET', HOT_NODE), 'docker-json', T0 + 4000),
    );
    const { summary, counts } = scan(input);
    expect(summary.formats).toEqual({ 'docker-json': 2, cri: 3, klog: 1 });
    expect(summary.signalsSeen).toEqual({ 'satisfied-by': 5 });
    // The incident line is from kube-apiserver, the others from kube-aggregator: each component is
    // its own channel and the one with more requests (kube-aggregator, 4) is counted.
    expect([summary.linesRead, summary.linesSkipped, summary.requestsCounted]).toEqual([7, 1, 4]);
    expect(objectOf(counts, HOT_NODE)).toMatchObject({
      verbs: { PUT: 3, GET: 1 },
      firstSeen: '2022-05-07T08:24:38.493Z',
      lastSeen: '2022-05-07T08:24:41.493Z',
    });
  });

  test('audit lines and klog lines in one file: audit and satisfied-by are both seen', () => {
    const ref = HOT_NODE_AUDIT_REF;
    const input = lines(
      INCIDENT_LINE,
      auditLine('ResponseComplete', 'update', ref, T0),
      auditLine('ResponseComplete', 'update', ref, T0 + 1000),
    );
    const { summary } = scan(input);
    expect(summary.formats).toEqual({ 'docker-json': 1, audit: 2 });
    expect(summary.signalsSeen).toEqual({ 'satisfied-by': 1, audit: 2 });
    expect(summary.signal).toBe('audit');
    expect(summary.requestsCounted).toBe(2);
  });
});
