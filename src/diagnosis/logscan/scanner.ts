import { ChannelTally, DEFAULT_MAX_MINUTES } from './tally.js';
import { chooseChannel } from './summary.js';
import { HTTPLOG_COMPONENT, createLineKernel } from './line-kernel.js';
import type { SlotRecord } from './slot-record.js';
import { Components, LineTallies, type ScanCounts, emptyScanCounts } from './scan-counts.js';
import { PathTable } from './path-table.js';
import { DockerTime } from './docker-json.js';
import { CriLines } from './cri.js';
import { LineFramer, type LineSink } from './framing.js';
import { KernelBridge, type KernelClient } from './kernel-bridge.js';
import { LineReader } from './line-reader.js';
import { NL } from './ascii.js';

/**
 * The byte-level scanner. Lines are found with Buffer.indexOf and recognised by a few byte
 * comparisons at fixed places, so that the lines that are not requests cost no string and no
 * JSON.parse. Only request lines produce a string: their path, interned per object.
 *
 * Its parts, one job each:
 * - framing.ts: the lines of chunks of any size (lines cut by a chunk, over-long lines);
 * - kernel-bridge.ts: the commonest line of all, an RKE1 Docker or RKE2 CRI line holding a
 *   satisfied-by line, is read first by the WebAssembly kernel (kernel/kernel.ts), which hands
 *   back every line it is not sure of, and adds its requests up per path (kernel-slots.ts);
 * - line-reader.ts: the hot loop, one line to its count; it is the reference the kernel is tested
 *   against (test/logscan/kernel.test.ts), and reads the lines handed back. It reads each format's
 *   envelope with docker-json.ts, cri.ts, klog.ts and audit.ts;
 * - path-table.ts: request paths interned; scan-counts.ts: what is counted.
 * This class puts them together: a chunk goes to the kernel when there is one, else to the
 * framer and the line reader.
 */

export interface LogScanOptions {
  /** Requests before this instant (ms since epoch) are not counted. */
  sinceMs?: number | null;
  /** The instant the log ends before, used to give klog headers (no year) their year. Default: now. */
  referenceMs?: number;
  /** Longest line looked at; longer lines are skipped whole. */
  maxLineBytes?: number;
  /** Per-object per-minute write buckets kept (the latest ones). */
  maxMinutes?: number;
  /**
   * Read the commonest lines with the WebAssembly kernel (default true, when it is built). The
   * counts are the same either way; false is for the tests that compare the two.
   */
  useKernel?: boolean;
  /**
   * Keep the kernel's slot events as data (recordedSlots) instead of carrying them into this
   * scanner's tallies: for a worker thread, whose records the thread that started it plays into
   * its own scanner (replaySlots). See slot-record.ts.
   */
  recordSlots?: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export class LogScanner implements KernelClient, LineSink {
  private readonly scanned: ScanCounts;
  private readonly tallies: LineTallies;
  private readonly cri = new CriLines();
  private readonly paths = new PathTable();
  private readonly reader: LineReader;
  private readonly framer: LineFramer;
  /** The WebAssembly kernel and the requests it added up; null without it. */
  private readonly bridge: KernelBridge | null;
  /** Bytes of an unfinished line at the start of the kernel's input (pushRead). */
  private held = 0;
  private ended = false;

  constructor(options: LogScanOptions = {}) {
    const sinceMs = options.sinceMs ?? -Infinity;
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const maxMinutes = options.maxMinutes ?? DEFAULT_MAX_MINUTES;
    this.scanned = emptyScanCounts(maxMinutes);
    this.tallies = new LineTallies(this.scanned);
    const reader = new LineReader({
      scanned: this.scanned,
      tallies: this.tallies,
      components: new Components(this.scanned, maxMinutes),
      paths: this.paths,
      docker: new DockerTime(),
      cri: this.cri,
      sinceMs,
      referenceMs: options.referenceMs ?? Date.now(),
      maxLineBytes,
    });
    this.reader = reader;
    this.framer = new LineFramer(this, maxLineBytes);
    const kernel = options.useKernel === false ? null : createLineKernel(maxLineBytes, sinceMs);
    // Where the kernel's slots, of this scanner's kernel or of a record played here, find what paths and components are.
    const slotHost = {
      pathInfo: (buf: Buffer, start: number, end: number) => reader.pathInfo(buf, start, end),
      channelOf: (buf: Buffer, start: number, end: number) =>
        end - start === HTTPLOG_COMPONENT.length && buf.toString('latin1', start, end) === HTTPLOG_COMPONENT
          ? this.scanned.httplog
          : reader.channelOf(buf, start, end),
    };
    this.bridge =
      kernel === null
        ? null
        : new KernelBridge(
            kernel,
            options.recordSlots === true,
            slotHost,
            this,
            this.scanned,
            this.tallies,
            sinceMs,
          );
  }

  /** Everything counted so far (the kernel's sums carried in first; with recordSlots, recorded). */
  get counts(): ScanCounts {
    this.bridge?.take();
    return this.scanned;
  }

  /** With recordSlots: the bytes of slot events recorded and not yet handed over (recordedSlots). */
  recordedBytes(): number {
    return this.bridge === null ? 0 : this.bridge.recordedBytes();
  }

  /** With recordSlots: the kernel's slot events recorded up to the last `counts`, handed over once. */
  recordedSlots(): { records: SlotRecord[]; transfer: ArrayBuffer[] } {
    return this.bridge === null ? { records: [], transfer: [] } : this.bridge.recordedSlots();
  }

  /**
   * Carries another scanner's recorded slot events (recordSlots) into this scanner's tallies, in
   * their order, as if its own kernel had sent them; the lines they come from stay counted by the
   * scanner that read them. After this scanner's own lines, its tallies come first, as in a merge.
   */
  replaySlots(records: SlotRecord[]): void {
    this.bridge?.replay(records);
  }

  /**
   * replaySlots() for counts that go to summarizeCounts() alone, with `others` (the other parts):
   * the summary reads the objects of one channel, chosen on the request totals of all the parts
   * (chooseChannel, as mergeForSummary does), so only that channel's objects take the records'
   * requests; every other channel takes its total. The summary is the same as after replaySlots();
   * the objects of the other channels are not. At the end of a split scan this is the part that
   * waits for every thread: on a -v=5 log, a quarter of the work.
   */
  replaySlotsForSummary(records: SlotRecord[], others: ScanCounts[]): void {
    const bridge = this.bridge;
    if (bridge === null || records.length === 0) return;
    bridge.take();
    bridge.replayChosen(records, (added) => {
      const mine = this.scanned;
      const total = (
        channel: ChannelTally | undefined,
        pick: (c: ScanCounts) => ChannelTally | undefined,
      ): ChannelTally => {
        const sum = new ChannelTally(0);
        sum.requests = (channel?.requests ?? 0) + (channel ? (added.get(channel) ?? 0) : 0);
        for (const other of others) sum.requests += pick(other)?.requests ?? 0;
        return sum;
      };
      const names = new Set([...mine.handlers.keys(), ...others.flatMap((o) => [...o.handlers.keys()])]);
      const handlers = new Map(
        [...names].map((name) => [name, total(mine.handlers.get(name), (c) => c.handlers.get(name))]),
      );
      const totals = {
        ...mine,
        audit: total(mine.audit, (c) => c.audit),
        httplog: total(mine.httplog, (c) => c.httplog),
        handlers,
      };
      const { channel } = chooseChannel(totals);
      if (channel === null) return null;
      if (channel === totals.audit) return mine.audit;
      if (channel === totals.httplog) return mine.httplog;
      for (const [name, sum] of handlers)
        if (sum === channel) return mine.handlers.get(name) ?? new ChannelTally(0);
      return null;
    });
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error('push after end');
    this.releaseHeld();
    this.pushLines(chunk);
    this.tallies.flush();
  }

  /**
   * Where the caller may read the next bytes of the log to, for pushRead(): the kernel's own
   * input, so that the bytes are read once and not copied. Null without the kernel (use push()).
   */
  readBuffer(): Buffer | null {
    return this.bridge === null ? null : this.bridge.kernel.input.subarray(this.held);
  }

  /** `n` bytes were read to readBuffer(): scans them as push() would. */
  pushRead(n: number): void {
    if (this.ended) throw new Error('push after end');
    const bridge = this.bridge;
    if (bridge === null) throw new Error('pushRead without a kernel: use push()');
    if (n <= 0) return;
    this.scanned.bytesRead += n;
    this.reader.forgetInput();
    const input = bridge.kernel.input;
    const total = this.held + n;
    // A line longer than the input area is in the framer's carry (or being dropped): finish it first.
    const start = this.held === 0 ? this.framer.finishCarried(input.subarray(0, total)) : 0;
    const lastNewline = start < 0 ? -1 : input.lastIndexOf(NL, total - 1);
    if (start >= 0 && lastNewline >= start) {
      bridge.scan(start, lastNewline + 1);
      input.copyWithin(0, lastNewline + 1, total);
      this.held = total - lastNewline - 1;
    } else if (start >= 0) {
      input.copyWithin(0, start, total);
      this.held = total - start;
      if (this.held === input.length) {
        this.framer.hold(input, 0);
        this.held = 0;
      }
    }
    this.tallies.flush();
  }

  /** The unfinished line of pushRead() to the framer, where push() and end() look for it. */
  private releaseHeld(): void {
    if (this.held === 0 || this.bridge === null) return;
    this.framer.hold(this.bridge.kernel.input, 0, this.held);
    this.held = 0;
  }

  private pushLines(chunk: Buffer): void {
    this.scanned.bytesRead += chunk.length;
    // The caller may refill the same buffer for the next push.
    this.reader.forgetInput();
    const start = this.framer.finishCarried(chunk);
    if (start < 0) return;
    const length = chunk.length;
    if (this.bridge !== null) {
      const lastNewline = chunk.lastIndexOf(NL);
      let next = start;
      if (lastNewline >= start) {
        this.bridge.lines(chunk, start, lastNewline + 1);
        next = lastNewline + 1;
      }
      if (next < length) this.framer.hold(chunk, next);
      return;
    }
    this.framer.wholeLines(chunk, start, length);
  }

  /**
   * Ends one byte range of a file scanned apart, as end() would end a scanner of its own, and
   * readies the scanner for the next range: the counts (and what the scanner has learnt) go on.
   */
  endRange(): void {
    this.end();
    this.ended = false;
  }

  /** A last line without a newline still counts; CRI partials never finished are skipped. */
  end(): void {
    if (this.ended) return;
    this.releaseHeld();
    this.ended = true;
    this.reader.forgetInput();
    this.framer.end();
    this.scanned.linesSkipped += this.cri.dropPartials();
    this.tallies.flush();
  }

  // LineSink: the framer's lines go to the line reader. Through here, so that every line read in
  // TypeScript passes one method of the scanner (test/logscan/kernel.test.ts counts them there).

  line(buf: Buffer, start: number, end: number): void {
    this.reader.line(buf, start, end);
  }

  skipLine(): void {
    this.reader.skipLine();
  }

  // What test/logscan/memory.test.ts checks stays bounded.

  private get pathCache(): ReadonlyMap<string, unknown> {
    return this.paths.pathCache;
  }

  private get partials(): ReadonlyMap<string, unknown> {
    return this.cri.partials;
  }

  private get carry(): Buffer | null {
    return this.framer.carried;
  }

  // KernelClient: what the kernel's bridge asks of the scanner.

  wholeLines(buf: Buffer, from: number, to: number): void {
    this.framer.wholeLines(buf, from, to);
  }

  inputChanged(): void {
    this.reader.forgetInput();
  }

  partialPending(stream: 'stdout' | 'stderr'): boolean {
    return this.cri.hasPartial(stream);
  }
}
