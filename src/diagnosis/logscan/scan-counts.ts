import type { LogFormat, Signal } from '../types.js';
import { ChannelTally } from './tally.js';
import { equalBytes, viewOf } from './bytes.js';

/**
 * What a scan counts: lines, bytes, lines per format and per signal, and the requests per object
 * in each channel (the audit log, httplog lines, the satisfied-by lines of each apiserver
 * component). The per-object counting itself is ChannelTally's (tally.ts).
 */

/** The satisfied-by lines of one request come from up to three components; one is counted. */
export const COMPONENT_PREFERENCE = ['kube-aggregator', 'kube-apiserver', 'apiextensions-apiserver'];

/** Everything a scan has counted; mergeable, so that byte ranges can be scanned apart. */
export interface ScanCounts {
  bytesRead: number;
  linesRead: number;
  linesSkipped: number;
  formats: Partial<Record<LogFormat, number>>;
  signalsSeen: Partial<Record<Signal, number>>;
  audit: ChannelTally;
  httplog: ChannelTally;
  /** Handler lines per apiserver component (satisfied-by signal). */
  handlers: Map<string, ChannelTally>;
}

export function emptyScanCounts(maxMinutes: number): ScanCounts {
  return {
    bytesRead: 0,
    linesRead: 0,
    linesSkipped: 0,
    formats: {},
    signalsSeen: {},
    audit: new ChannelTally(maxMinutes),
    httplog: new ChannelTally(maxMinutes),
    handlers: new Map(),
  };
}

/** The names format() and signal() count, by index. */
const TALLIED: ['formats' | 'signalsSeen', string][] = [
  ['formats', 'docker-json'],
  ['formats', 'cri'],
  ['formats', 'klog'],
  ['formats', 'audit'],
  ['signalsSeen', 'satisfied-by'],
  ['signalsSeen', 'httplog'],
  ['signalsSeen', 'audit'],
];

const talliedAt = (name: string): number => TALLIED.findIndex(([, n]) => n === name);
export const TALLY_DOCKER_JSON = talliedAt('docker-json');
export const TALLY_CRI = talliedAt('cri');
const TALLY_KLOG = talliedAt('klog');
const TALLY_AUDIT_FORMAT = TALLIED.findIndex(([r, n]) => r === 'formats' && n === 'audit');
export const TALLY_SATISFIED_BY = talliedAt('satisfied-by');
export const TALLY_HTTPLOG = talliedAt('httplog');
const TALLY_AUDIT_SIGNAL = TALLIED.findIndex(([r, n]) => r === 'signalsSeen' && n === 'audit');

/**
 * Lines per format and signal, kept as integers and added to counts at the end of each push:
 * a property looked up by name on every line cost more than the rest of many a line. A name is
 * put in counts when first seen, so that the records keep their order.
 */
export class LineTallies {
  /** Not yet in counts, by TALLIED index; the kernel's bridge adds its lines here in bulk. */
  readonly pending = new Int32Array(TALLIED.length);

  constructor(private readonly scanned: ScanCounts) {}

  format(name: LogFormat): void {
    this.tallied(
      name === 'docker-json'
        ? TALLY_DOCKER_JSON
        : name === 'cri'
          ? TALLY_CRI
          : name === 'klog'
            ? TALLY_KLOG
            : TALLY_AUDIT_FORMAT,
    );
  }

  signal(name: Signal): void {
    this.tallied(
      name === 'satisfied-by' ? TALLY_SATISFIED_BY : name === 'httplog' ? TALLY_HTTPLOG : TALLY_AUDIT_SIGNAL,
    );
  }

  private tallied(index: number): void {
    if (this.pending[index]!++ === 0) {
      const [record, name] = TALLIED[index]!;
      if (!(name in this.scanned[record])) (this.scanned[record] as Record<string, number>)[name] = 0;
    }
  }

  flush(): void {
    for (let i = 0; i < TALLIED.length; i++) {
      const n = this.pending[i]!;
      if (n === 0) continue;
      const [record, name] = TALLIED[i]!;
      const into = this.scanned[record] as Record<string, number>;
      into[name] = (into[name] ?? 0) + n;
      this.pending[i] = 0;
    }
  }
}

export interface KnownComponent {
  name: Buffer;
  view: DataView;
  channel: ChannelTally;
}

/** The apiserver components seen in handler.go lines, each with its channel in counts.handlers. */
export class Components {
  /** The first 16 seen, by the bytes of their name: a line's component is looked for here first. */
  readonly known: KnownComponent[] = [];

  constructor(
    private readonly scanned: ScanCounts,
    private readonly maxMinutes: number,
  ) {}

  /** The tally of the apiserver component named by `buf[at, end)`; found by its bytes when seen before. */
  channelOf(buf: Buffer, view: DataView, at: number, end: number): ChannelTally {
    const length = end - at;
    for (const known of this.known) {
      if (known.name.length === length && equalBytes(view, at, known.view, 0, length)) return known.channel;
    }
    const component = buf.toString('latin1', at, end);
    let channel = this.scanned.handlers.get(component);
    if (channel === undefined) {
      channel = new ChannelTally(this.maxMinutes);
      this.scanned.handlers.set(component, channel);
    }
    if (this.known.length < 16) {
      const name = Buffer.from(buf.subarray(at, end));
      this.known.push({ name, view: viewOf(name), channel });
    }
    return channel;
  }
}
