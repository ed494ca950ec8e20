/**
 * deploy/prometheus-rule.yaml (the PrometheusRule) and deploy/prometheus-rules.yaml (the same groups
 * as promtool reads them) are equal, and the rules do what they say, checked by the real promtool
 * (Debian's package `prometheus`). The promtool checks are skipped, with a message, without it.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { onPath } from './tools.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string) => parse(readFileSync(join(ROOT, p), 'utf8')) as Record<string, unknown>;
const run = promisify(execFile);

const PROMTOOL = onPath('promtool');
if (!PROMTOOL)
  console.warn('promtool is not on the PATH (Debian package prometheus): its rule checks are skipped');
const itWithPromtool = PROMTOOL ? it : it.skip;

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

describe('the Prometheus rules', () => {
  const crd = read('deploy/prometheus-rule.yaml');
  const plain = read('deploy/prometheus-rules.yaml');

  it('ship as a PrometheusRule and as a plain rules file with the same groups', () => {
    expect(crd.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(crd.kind).toBe('PrometheusRule');
    expect((crd.spec as { groups: unknown }).groups).toEqual(plain.groups);
  });

  it('record the write rate of node objects and route their alerts to rancher-doctor', () => {
    const rules = (plain.groups as { rules: Rule[] }[]).flatMap((g) => g.rules);
    const recorded = rules.find((r) => r.record);
    expect(recorded?.expr).toContain(
      'apiserver_request_total{group="management.cattle.io",resource="nodes",verb=~"PUT|PATCH"}',
    );
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.map((r) => r.alert)).toEqual([
      'RancherNodeObjectWriteLoop',
      'RancherApiserverMemoryGrowth',
    ]);
    expect(alerts.find((r) => r.alert === 'RancherNodeObjectWriteLoop')?.expr).toContain(recorded!.record);
    expect(alerts.find((r) => r.alert === 'RancherApiserverMemoryGrowth')?.expr).toContain(
      'process_resident_memory_bytes',
    );
    const receiver = read('deploy/alertmanager-receiver.yaml') as {
      route: { routes: { matchers: string[] }[] };
    };
    for (const alert of alerts) {
      for (const matcher of receiver.route.routes[0]!.matchers) {
        const [, name, value] = /^(\w+)="(.*)"$/.exec(matcher)!;
        expect(alert.labels?.[name!]).toBe(value);
      }
    }
  });

  itWithPromtool('pass promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL!, ['check', 'rules', join(ROOT, 'deploy/prometheus-rules.yaml')]);
    expect(stdout).toContain('SUCCESS: 3 rules found');
  });

  itWithPromtool(
    'pass promtool test rules: the loop and the growth alert, a quiet Rancher does not',
    async () => {
      const result = await run(PROMTOOL!, ['test', 'rules', 'prometheus-rules.promtool.yaml'], {
        cwd: join(ROOT, 'test/alerts'),
      }).catch((err: { stdout?: string; stderr?: string }) => ({
        stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
      }));
      expect(result.stdout).toContain('SUCCESS');
      expect(result.stdout).not.toContain('FAILED');
    },
  );
});
