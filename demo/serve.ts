import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { exited, spawnGroup, stopGroup } from './processes.js';

export interface ServeSettings {
  cli: string;
  logFile: string;
  /** The settings of `serve` (SLACK_*, REDIS_URL, QUEUE_PREFIX, APPROVERS, KUBECONFIG, RANCHER_*). */
  env: Record<string, string>;
  /** Told of each warning and error the bot logs, as one line. */
  onProblem: (line: string) => void;
  /** How long `serve` may take to start, then to stop before it is killed. */
  startTimeoutMs: number;
  stopGraceMs: number;
}

export interface RunningServe {
  /** Where Slack's requests go: http://127.0.0.1:<port>/slack/events. */
  eventsUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The variables `serve` inherits from the demo: how to find programs and certificates, no settings. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'];

interface LogLine {
  level?: number | string;
  msg?: string;
  port?: number;
  [key: string]: unknown;
}

/**
 * The real `rancher-doctor serve` (bot and worker in one process), as its own process group, its
 * JSON log kept in `logFile`. Resolves once it listens and its Redis connections are up.
 */
export async function startServe(s: ServeSettings): Promise<RunningServe> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  const child = spawnGroup(s.cli, ['serve'], {
    env: { ...env, ...s.env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(s.logFile, { flags: 'a' });
  const tail: string[] = [];
  let port: number | null = null;
  // The log is JSON lines; on stdout or stderr depending on the logger's settings: both are read.
  const listening = new Promise<number>((resolve) => {
    const read = (line: string) => {
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        s.onProblem(`bot: ${line}`);
        return;
      }
      if (parsed.msg === 'rancher-doctor started' && typeof parsed.port === 'number') {
        port = parsed.port;
        resolve(parsed.port);
      }
      if (isProblem(parsed.level)) s.onProblem(describe(parsed));
    };
    createInterface({ input: child.stdout! }).on('line', read);
    createInterface({ input: child.stderr! }).on('line', read);
  });
  const stop = async () => {
    await stopGroup(child, s.stopGraceMs);
    await new Promise<void>((resolve) => log.end(() => resolve()));
  };
  const ended = exited(child).then(() => 'exited' as const);
  const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), s.startTimeoutMs).unref());
  const first = await Promise.race([listening, ended, late]);
  if (typeof first !== 'number') {
    await stop();
    throw new Error(
      `rancher-doctor serve ${first === 'late' ? `did not start within ${s.startTimeoutMs / 1000}s` : 'stopped as it started'}; its last lines:\n${tail.join('\n')}`,
    );
  }
  await ready(`http://127.0.0.1:${port}/readyz`, s.startTimeoutMs);
  return { eventsUrl: `http://127.0.0.1:${first}/slack/events`, child, stop };
}

/** Waits until /readyz says the bot and the worker have their Redis connections. */
async function ready(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(url).catch((err: unknown) => ({
      status: 0,
      text: () => Promise.resolve(String(err)),
    }));
    if (res.status === 200) return;
    last = await res.text();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rancher-doctor serve never became ready: ${last}`);
}

function isProblem(level: LogLine['level']): boolean {
  return typeof level === 'number' ? level >= 40 : level === 'warn' || level === 'error' || level === 'fatal';
}

function describe(line: LogLine): string {
  const { level: _level, time: _time, pid: _pid, hostname: _host, msg, ...rest } = line;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `bot: ${msg ?? ''}${extra ? ` (${extra})` : ''}`;
}
