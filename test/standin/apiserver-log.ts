/** The lines a verbose kube-apiserver logs for one request, in the format a scenario asks for. Pure. */
import { randomUUID } from 'node:crypto';
import { rfc3339Nano } from './podlogs.js';

export type ApiserverLineKind = 'satisfied-by' | 'httplog';
export type ApiserverLogFormat = 'klog' | 'cri' | 'docker-json';

export interface LoggedRequest {
  method: string;
  path: string;
  userAgent: string;
  srcIP: string;
  status: number;
}

/** klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] */
function klogHeader(ms: number, micros: number, fileLine: string): string {
  const d = new Date(Math.floor(ms));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const us = (d.getUTCMilliseconds() * 1000 + micros) % 1_000_000;
  return `I${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(us, 6)}       1 ${fileLine}] `;
}

function prefixOf(path: string): string {
  const m = /^(\/apis\/[^/]+\/[^/]+\/|\/api\/[^/]+\/)/.exec(path);
  return m ? m[1]! : '/';
}

/** The klog text of each line (no time stamp of the kubelet), oldest first, with their microsecond offsets. */
export function requestLogLines(
  req: LoggedRequest,
  kinds: readonly ApiserverLineKind[],
  ms: number,
): { micros: number; text: string }[] {
  const out: { micros: number; text: string }[] = [];
  let micros = 0;
  const add = (fileLine: string, msg: string) => {
    out.push({ micros, text: `${klogHeader(ms, micros, fileLine)}${msg}` });
    micros += 17;
  };
  if (kinds.includes('satisfied-by')) {
    for (const server of ['kube-aggregator', 'kube-apiserver', 'apiextensions-apiserver']) {
      add('handler.go:153', `${server}: ${req.method} "${req.path}" satisfied by nonGoRestful`);
      add(
        'pathrecorder.go:247',
        `${server}: "${req.path}" satisfied by prefix ${server === 'kube-aggregator' ? prefixOf(req.path) : '/apis/'}`,
      );
    }
  }
  if (kinds.includes('httplog')) {
    micros += 2300;
    add(
      'httplog.go:132',
      `"HTTP" verb="${req.method}" URI="${req.path}" latency="2.31ms" userAgent="${req.userAgent}" audit-ID="${randomUUID()}" srcIP="${req.srcIP}" resp=${req.status}`,
    );
  }
  return out;
}

/** How the line reads in the chosen file format (the pod log API serves it as written). */
export function inFormat(text: string, ms: number, micros: number, format: ApiserverLogFormat): string {
  const time = rfc3339Nano(ms, micros * 1000);
  switch (format) {
    case 'klog':
      return text;
    case 'cri':
      return `${time} stderr F ${text}`;
    case 'docker-json':
      return JSON.stringify({ log: `${text}\n`, stream: 'stderr', time });
  }
}
