import {
  EV_FALLBACK,
  EV_HTTPLOG,
  EV_HTTPLOG_REQUEST,
  EV_MINUTES,
  EV_NEW_COMPONENT,
  EV_NEW_SLOT,
  EV_REQUEST,
  EV_SATISFIED,
  EV_SKIPPED,
  MINUTES_PER_SLOT,
  STATUS_KNOWN_CRI,
  STATUS_HTTPLOG_CRI,
  STATUS_HTTPLOG_DOCKER,
  STATUS_KNOWN_DOCKER,
  STATUS_PARTIAL_STDERR,
  STATUS_PARTIAL_STDOUT,
  STATUS_PATHS_FULL,
  STATUS_SKIPPED_CRI,
  STATUS_SKIPPED_DOCKER,
  STATUS_STOPPED,
  type LineKernel,
} from './line-kernel.js';
import { KernelSlots, type SlotHost } from './kernel-slots.js';
import {
  SlotRecorder,
  kernelOfRecord,
  playRecord,
  playRecordRequests,
  type SlotRecord,
  type SlotSink,
} from './slot-record.js';
import { ChannelTally } from './tally.js';
import {
  type LineTallies,
  type ScanCounts,
  TALLY_CRI,
  TALLY_DOCKER_JSON,
  TALLY_HTTPLOG,
  TALLY_SATISFIED_BY,
} from './scan-counts.js';
import { NL } from './ascii.js';

/**
 * The bridge to the WebAssembly kernel (kernel/kernel.ts, through line-kernel.ts): whole lines
 * copied into its input, its events played in line order, the lines it hands back read in
 * TypeScript, and the requests it added up carried into the tallies (kernel-slots.ts) or, in a
 * worker thread, recorded (slot-record.ts).
 */

/** What the bridge needs of the scanner around it. */
export interface KernelClient {
  /** Lines the kernel hands back (or too long for its input), read in TypeScript. */
  wholeLines(buf: Buffer, from: number, to: number): void;
  /** The kernel's input is about to change: forget what was found in it. */
  inputChanged(): void;
  /** Whether CRI partial lines of the stream wait for their final line. */
  partialPending(stream: 'stdout' | 'stderr'): boolean;
}

export class KernelBridge {
  private readonly slots: SlotSink;

  constructor(
    readonly kernel: LineKernel,
    recordSlots: boolean,
    private readonly host: SlotHost,
    private readonly client: KernelClient,
    private readonly scanned: ScanCounts,
    private readonly tallies: LineTallies,
    private readonly sinceMs: number,
  ) {
    this.slots = recordSlots ? new SlotRecorder(kernel) : new KernelSlots(kernel, host);
  }

  /** The kernel's sums carried into the tallies (or, recording, recorded). */
  take(): void {
    this.slots.take();
  }

  /** Recording: the bytes of slot events recorded and not yet handed over. */
  recordedBytes(): number {
    return this.slots instanceof SlotRecorder ? this.slots.recordedBytes() : 0;
  }

  /** Recording: the slot events recorded up to the last take(), handed over once. */
  recordedSlots(): { records: SlotRecord[]; transfer: ArrayBuffer[] } {
    if (!(this.slots instanceof SlotRecorder)) return { records: [], transfer: [] };
    return this.slots.taken();
  }

  /**
   * Another scanner's recorded slot events, carried into the tallies in their order; with `only`,
   * into that channel's objects, and into the other channels' request totals alone.
   */
  replay(records: SlotRecord[], only: ChannelTally | null = null): void {
    for (const record of records) {
      const slots = new KernelSlots(kernelOfRecord(record), this.host, only);
      playRecord(record, slots, this.sinceMs);
      slots.take();
    }
  }

  /**
   * replay(), into the objects of the channel `choose` names once it knows the requests the
   * records add to each channel's total (every other channel takes its total alone). The records
   * are read twice: first their dirty slots and the requests past the slots alone, counting
   * nothing, to add those totals up; then every event.
   */
  replayChosen(
    records: SlotRecord[],
    choose: (added: Map<ChannelTally, number>) => ChannelTally | null,
  ): void {
    const added = new Map<ChannelTally, number>();
    // No channel is this one: every request goes to `added`.
    const none = new ChannelTally(0);
    const first = records.map((record) => {
      const slots = new KernelSlots(kernelOfRecord(record), this.host, none, added);
      playRecordRequests(record, slots, this.sinceMs);
      slots.take();
      return slots;
    });
    const only = choose(added);
    records.forEach((record, i) => {
      const known = first[i]!;
      const slots = new KernelSlots(known.kernel, this.host, only, null, known);
      playRecord(record, slots, this.sinceMs);
      slots.take();
    });
  }

  /**
   * The whole lines `buf[from, to)` (`to` just past a newline), through the kernel: copied into
   * its input a window at a time (windows end at a newline; a line longer than the input is read
   * in TypeScript), and its events played in line order.
   */
  lines(buf: Buffer, from: number, to: number): void {
    const kernel = this.kernel;
    const room = kernel.input.length;
    let p = from;
    while (p < to) {
      let windowEnd = to;
      if (to - p > room) {
        windowEnd = buf.lastIndexOf(NL, p + room - 1) + 1;
        if (windowEnd <= p) {
          const nl = buf.indexOf(NL, p);
          this.client.wholeLines(buf, p, nl + 1);
          p = nl + 1;
          continue;
        }
      }
      buf.copy(kernel.input, 0, p, windowEnd);
      this.scan(0, windowEnd - p);
      p = windowEnd;
    }
  }

  /** Scans the kernel's input[from, to) (whole lines) and plays its events. */
  scan(from: number, to: number): void {
    const kernel = this.kernel;
    const slots = this.slots;
    const client = this.client;
    const pending = this.tallies.pending;
    let p = from;
    const status = kernel.status;
    while (p < to) {
      // CRI final lines that complete partial ones are joined in TypeScript: the kernel hands them back.
      status[STATUS_PARTIAL_STDOUT] = client.partialPending('stdout') ? 1 : 0;
      status[STATUS_PARTIAL_STDERR] = client.partialPending('stderr') ? 1 : 0;
      const events = kernel.scan(p, to);
      // The input's bytes changed since the TypeScript reader looked.
      client.inputChanged();
      this.events(kernel, slots, events);
      // The lines after the first of their kind, counted by the kernel alone (see kernel.ts).
      const knownDocker = status[STATUS_KNOWN_DOCKER]!;
      const skippedDocker = status[STATUS_SKIPPED_DOCKER]!;
      const knownCri = status[STATUS_KNOWN_CRI]!;
      const skippedCri = status[STATUS_SKIPPED_CRI]!;
      const httplogDocker = status[STATUS_HTTPLOG_DOCKER]!;
      const httplogCri = status[STATUS_HTTPLOG_CRI]!;
      this.scanned.linesRead +=
        knownDocker + skippedDocker + knownCri + skippedCri + httplogDocker + httplogCri;
      this.scanned.linesSkipped += skippedDocker + skippedCri;
      pending[TALLY_DOCKER_JSON]! += knownDocker + skippedDocker + httplogDocker;
      pending[TALLY_CRI]! += knownCri + skippedCri + httplogCri;
      pending[TALLY_SATISFIED_BY]! += knownDocker + knownCri;
      pending[TALLY_HTTPLOG]! += httplogDocker + httplogCri;
      if (status[STATUS_PATHS_FULL]) {
        slots.take();
        slots.clear();
      }
      p = status[STATUS_STOPPED]!;
    }
  }

  private events(kernel: LineKernel, slots: SlotSink, events: number): void {
    const { heads, times, input, runWords } = kernel;
    const counts = this.scanned;
    const tallies = this.tallies;
    for (let i = 0; i < events; i++) {
      const at = i * 4;
      const head = heads[at]!;
      switch (head & 0xff) {
        case EV_SATISFIED:
          counts.linesRead++;
          tallies.format(head >>> 24 ? 'cri' : 'docker-json');
          tallies.signal('satisfied-by');
          break;
        case EV_HTTPLOG:
          counts.linesRead++;
          tallies.format(head >>> 24 ? 'cri' : 'docker-json');
          tallies.signal('httplog');
          break;
        case EV_HTTPLOG_REQUEST:
          counts.linesRead++;
          tallies.format(head >>> 24 ? 'cri' : 'docker-json');
          tallies.signal('httplog');
          slots.request(heads[at + 1]!, (head >>> 8) & 0xff, (head >>> 16) & 0xff, times[i]!, this.sinceMs);
          break;
        case EV_SKIPPED:
          counts.linesRead++;
          counts.linesSkipped++;
          tallies.format(head >>> 24 ? 'cri' : 'docker-json');
          break;
        case EV_FALLBACK:
          this.client.wholeLines(input, heads[at + 2]!, heads[at + 3]!);
          break;
        case EV_NEW_COMPONENT:
          slots.component((head >>> 8) & 0xff);
          break;
        case EV_NEW_SLOT:
          slots.slotSeen(heads[at + 1]!, times[i]!);
          break;
        case EV_MINUTES:
          slots.minutes(heads[at + 1]!, times[i]!, runWords, i * MINUTES_PER_SLOT);
          break;
        case EV_REQUEST:
          counts.linesRead++;
          tallies.format(head >>> 24 ? 'cri' : 'docker-json');
          tallies.signal('satisfied-by');
          slots.request(heads[at + 1]!, (head >>> 8) & 0xff, (head >>> 16) & 0xff, times[i]!, this.sinceMs);
          break;
        default:
          throw new Error(`log scanner kernel: unknown event ${head & 0xff}`);
      }
    }
  }
}
