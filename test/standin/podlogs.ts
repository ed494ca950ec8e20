/**
 * Container logs, one line list per cluster/namespace/pod/container, each line with the time the
 * kubelet would have stamped on it (needed for sinceSeconds and timestamps=true).
 */

export interface LogLine {
  /** RFC3339Nano, as the kubelet reports it. */
  time: string;
  ms: number;
  text: string;
}

export interface LogQuery {
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
  timestamps?: boolean;
}

type Follower = (line: LogLine) => void;

interface Stream {
  lines: LogLine[];
  followers: Set<Follower>;
}

const LEADING_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s(.*)$/;

const RELATIVE_TIME = /^now(?:-(\d+(?:\.\d+)?)(ms|s|m|h))?$/;
const LEADING_RELATIVE = /^(now(?:-\d+(?:\.\d+)?(?:ms|s|m|h))?)\s(.*)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "now", "now-90s", "now-5m" relative to `nowMs`, else an RFC3339 time; null when neither. */
export function resolveTime(time: string, nowMs: number): number | null {
  const rel = RELATIVE_TIME.exec(time);
  if (rel) return rel[1] ? nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]! : nowMs;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A line as written in a scenario: "RFC3339 text", "now-90s text" (relative to the stand-in's
 * start, so that sinceSeconds windows see seeded lines), {time, line}, or bare text stamped `nowMs`.
 */
export function toLogLine(input: string | { time: string; line: string }, nowMs: number): LogLine {
  if (typeof input !== 'string') {
    const ms = resolveTime(input.time, nowMs);
    if (ms === null) throw new Error(`log line time is neither RFC3339 nor now-<n>(ms|s|m|h): ${input.time}`);
    return { time: rfc3339Nano(ms), ms, text: withTimes(input.line, ms) };
  }
  const m = LEADING_TIME.exec(input) ?? LEADING_RELATIVE.exec(input);
  if (m) {
    const ms = resolveTime(m[1]!, nowMs)!;
    return { time: m[1]!.startsWith('now') ? rfc3339Nano(ms) : m[1]!, ms, text: withTimes(m[2]!, ms) };
  }
  return { time: rfc3339Nano(nowMs), ms: nowMs, text: withTimes(input, nowMs) };
}

/** {{time}} becomes the line's time as logrus writes it, {{klog}} as klog's header writes it (mmdd hh:mm:ss.uuuuuu). */
function withTimes(text: string, ms: number): string {
  if (!text.includes('{{')) return text;
  const iso = new Date(ms).toISOString();
  const klog = `${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 23)}000`;
  return text.replaceAll('{{time}}', `${iso.slice(0, 19)}Z`).replaceAll('{{klog}}', klog);
}

/** 2022-05-07T08:24:37.495902397Z from milliseconds, with an optional nanosecond offset. */
export function rfc3339Nano(ms: number, extraNanos = 0): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // ...ss.mmmZ
  const nanos = (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000) + extraNanos;
  return `${iso.slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

export class PodLogStore {
  private readonly streams = new Map<string, Stream>();

  private stream(key: string): Stream {
    let s = this.streams.get(key);
    if (!s) {
      s = { lines: [], followers: new Set() };
      this.streams.set(key, s);
    }
    return s;
  }

  append(cluster: string, namespace: string, pod: string, container: string, lines: LogLine[]): void {
    const s = this.stream(keyOf(cluster, namespace, pod, container));
    for (const line of lines) {
      s.lines.push(line);
      for (const follower of s.followers) follower(line);
    }
  }

  lines(cluster: string, namespace: string, pod: string, container: string): readonly LogLine[] {
    return this.streams.get(keyOf(cluster, namespace, pod, container))?.lines ?? [];
  }

  /** Lines chosen by the query, formatted as the pods/log API returns them. */
  select(
    cluster: string,
    namespace: string,
    pod: string,
    container: string,
    query: LogQuery,
    nowMs: number,
  ): string[] {
    let lines = this.lines(cluster, namespace, pod, container);
    const since =
      query.sinceSeconds !== undefined
        ? nowMs - query.sinceSeconds * 1000
        : query.sinceTime
          ? Date.parse(query.sinceTime)
          : null;
    if (since !== null) lines = lines.filter((l) => l.ms >= since);
    if (query.tailLines !== undefined) lines = query.tailLines === 0 ? [] : lines.slice(-query.tailLines);
    return lines.map((l) => format(l, query.timestamps ?? false));
  }

  follow(cluster: string, namespace: string, pod: string, container: string, follower: Follower): () => void {
    const s = this.stream(keyOf(cluster, namespace, pod, container));
    s.followers.add(follower);
    return () => s.followers.delete(follower);
  }

  /** Forget a pod's logs (the pod was deleted); its followers are told by the caller. */
  dropPod(cluster: string, namespace: string, pod: string): void {
    const prefix = `${keyOf(cluster, namespace, pod, '')}`;
    for (const key of this.streams.keys()) if (key.startsWith(prefix)) this.streams.delete(key);
  }
}

export function format(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${line.time} ${line.text}\n` : `${line.text}\n`;
}

function keyOf(cluster: string, namespace: string, pod: string, container: string): string {
  return `${cluster}\u0000${namespace}\u0000${pod}\u0000${container}`;
}
