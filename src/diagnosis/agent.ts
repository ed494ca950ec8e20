import type { AgentEvidence } from './types.js';

/**
 * Reads a cattle-node-agent log as it streams in and keeps only counts and a short sample. The
 * "waiting to register" line has three wordings across Rancher versions; they share
 * the head matched here, with either case of the first letter.
 */
const WAITING = /[Ww]aiting for node to register\. Either cluster is not ready for registering/;
const CONFIG_ERROR = /Error while getting agent config/;
/** logrus text: time="2022-05-07T08:24:37Z" */
const LOGRUS_TIME = /\btime="([^"]+)"/;
/** A timestamp at the start of the line (kubectl logs --timestamps, CRI files). */
const LEADING_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s/;

const SAMPLE_SIZE = 5;
const MAX_LINE = 64 * 1024;

export interface AgentLogParser {
  push(chunk: Buffer | string): void;
  end(): void;
  result(pod: { namespace: string; name: string }): AgentEvidence;
}

export function lineTime(line: string): string | null {
  const raw = LOGRUS_TIME.exec(line)?.[1] ?? LEADING_TIME.exec(line)?.[1] ?? null;
  if (raw === null) return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function createAgentLogParser(): AgentLogParser {
  let rest = '';
  let waitingLines = 0;
  let errorLines = 0;
  let lastWaitingAt: string | null = null;
  const sample: string[] = [];

  const take = (line: string) => {
    const waiting = WAITING.test(line);
    const error = !waiting && CONFIG_ERROR.test(line);
    if (!waiting && !error) return;
    if (waiting) {
      waitingLines++;
      const at = lineTime(line);
      if (at !== null && (lastWaitingAt === null || at > lastWaitingAt)) lastWaitingAt = at;
    } else {
      errorLines++;
    }
    sample.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (sample.length > SAMPLE_SIZE) sample.shift();
  };

  return {
    push(chunk) {
      const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      // A line with no end in sight is cut rather than held without bound.
      if (rest.length > MAX_LINE) rest = rest.slice(0, MAX_LINE);
      for (const line of lines) take(line.replace(/\r$/, ''));
    },
    end() {
      if (rest) take(rest);
      rest = '';
    },
    result(pod) {
      return {
        namespace: pod.namespace,
        podName: pod.name,
        waitingLines,
        lastWaitingAt,
        errorLines,
        sample: [...sample],
      };
    },
  };
}
