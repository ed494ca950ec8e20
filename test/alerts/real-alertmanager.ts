import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { onPath } from './tools.js';
import { freePort } from '../support/free-port.js';

/** Debian's package prometheus-alertmanager installs it under this name; upstream's is alertmanager. */
export const ALERTMANAGER = onPath('prometheus-alertmanager', 'alertmanager');

export interface RunningAlertmanager {
  url: string;
  /** Stops it by its process group and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * A real Alertmanager on loopback with `config`, its state in `dir`, alone (no cluster peers).
 * Resolves once it answers /-/ready.
 */
export async function startAlertmanager(config: object, dir: string): Promise<RunningAlertmanager> {
  if (!ALERTMANAGER) throw new Error('no Alertmanager on the PATH');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    ALERTMANAGER,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`Alertmanager exited at start: ${stderr.trim()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** Alerts sent to Alertmanager as Prometheus sends them. */
export async function postAlerts(url: string, alerts: PostedAlert[]): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
}

export interface AlertState {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; silencedBy: string[] };
}

export async function listAlerts(url: string): Promise<AlertState[]> {
  const res = await fetch(`${url}/api/v2/alerts`);
  return (await res.json()) as AlertState[];
}
