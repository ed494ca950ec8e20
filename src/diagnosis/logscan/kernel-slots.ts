import type { ParsedPath } from './request-path.js';
import { VERB, VERBS } from './request-path.js';
import type { ChannelTally, ObjectTally } from './tally.js';
import {
  SLOT_FIRST_TIME,
  SLOT_LAST_TIME,
  SLOT_MINUTE_BASE_TIME,
  SLOT_MINUTES_WORD,
  SLOT_WORDS,
  MINUTES_PER_SLOT,
  STATUS_DIRTY_SLOTS,
  type LineKernel,
} from './line-kernel.js';
import type { SlotSink } from './slot-record.js';

/** What the scanner makes of a path's bytes and a component's name. */
export interface SlotHost {
  /** The path parsed (null: no object), and what a GET to it counts as. */
  pathInfo(buf: Buffer, start: number, end: number): { parsed: ParsedPath | null; getVerb: number };
  channelOf(buf: Buffer, start: number, end: number): ChannelTally;
}

/** The verbs the kernel counts (it hands lines with any other verb back). */
const KERNEL_VERBS = [VERB.GET, VERB.PUT, VERB.PATCH, VERB.POST, VERB.DELETE];

/**
 * The kernel's requests, added up per slot (a path id and a component), carried into the
 * scanner's tallies: at the end of a scan, and before the kernel forgets its paths. What a path id
 * and a component stand for is read from the kernel's memory the first time it is needed.
 */
export class KernelSlots implements SlotSink {
  // Grown and filled a run at a time (growTo): arrays written at scattered indexes would turn into
  // dictionaries, and filled up front for every id the kernel could give, they took milliseconds
  // of a scan's start to make.
  private readonly parsed: (ParsedPath | null | undefined)[];
  private readonly getVerb: number[];
  private readonly channels: ChannelTally[];
  /** The tally of each slot, once looked up (undefined: not yet; null: the path names no object). */
  private readonly tallies: (ObjectTally | null | undefined)[];
  /** A slot's requests by verb (VERBS), as take() hands them to its channel. */
  private readonly verbScratch = new Uint32Array(VERBS.length);

  /**
   * `only`: the one channel whose objects are wanted (see LogScanner.replaySlots); the others get
   * their request totals only. Null: every channel, in full.
   */
  constructor(
    readonly kernel: LineKernel,
    private readonly host: SlotHost,
    private readonly only: ChannelTally | null = null,
    /** Set: nothing is counted, the request totals of the channels not wanted are added up here. */
    private readonly totals: Map<ChannelTally, number> | null = null,
    /** Another KernelSlots of the same kernel: what its paths and components were found to be is reused. */
    known: KernelSlots | null = null,
  ) {
    this.parsed = known?.parsed ?? [];
    this.getVerb = known?.getVerb ?? [];
    this.channels = known?.channels ?? [];
    this.tallies = [];
  }

  /** A request the kernel did not add up (a component past the slots). */
  request(pathId: number, component: number, logged: number, timeMs: number, sinceMs: number): void {
    const parsed = this.pathParsed(pathId);
    if (parsed === null || timeMs < sinceMs) return;
    const verb = logged === VERB.GET ? this.getVerb[pathId]! : logged;
    const channel = this.channel(component);
    if (this.only !== null && channel !== this.only) {
      this.addRequests(channel, 1);
      return;
    }
    channel.count(channel.tallyOf(parsed.key, parsed.ref, timeMs), verb, timeMs);
  }

  /** A component the kernel has just named: its channel is made now, as the TypeScript scanner would. */
  component(component: number): void {
    this.channel(component);
  }

  /** A slot's first request (at `timeMs`): its object's tally is made now, in the order of the lines. */
  slotSeen(slot: number, timeMs: number): void {
    if (this.wanted(slot)) this.tally(slot, timeMs);
  }

  /** A slot's writes per minute from `firstMinute` (epoch minutes), `words[at, at + MINUTES_PER_SLOT)`. */
  minutes(slot: number, firstMinute: number, words: Uint32Array, at: number): void {
    if (!this.wanted(slot)) return;
    const tally = this.tally(slot);
    if (tally === null) return;
    this.channel(slot % this.kernel.slotsPerPath).addWriteRun(
      tally,
      firstMinute,
      words,
      at,
      MINUTES_PER_SLOT,
    );
  }

  /** Adds every slot the kernel has counted in since the last time into the tallies. */
  take(): void {
    const kernel = this.kernel;
    if (this.totals !== null) {
      // Counting nothing, the kernel's slots stay as they are (a record's kernel, played twice).
      const dirty = kernel.status[STATUS_DIRTY_SLOTS]!;
      for (let i = 0; i < dirty; i++) this.addTotal(kernel.dirtySlots[i]!);
      return;
    }
    const dirty = kernel.status[STATUS_DIRTY_SLOTS]!;
    if (dirty === 0) return;
    const { dirtySlots, slotWords, slotTimes, slotsPerPath, slotOffsets } = kernel;
    for (let i = 0; i < dirty; i++) {
      const slot = dirtySlots[i]!;
      if (!this.wanted(slot)) {
        this.addTotal(slot);
        continue;
      }
      const tally = this.tally(slot);
      if (tally === null) continue;
      const channel = this.channel(slot % slotsPerPath);
      const pathId = Math.floor(slot / slotsPerPath);
      const words = slotOffsets === null ? slot * SLOT_WORDS : slotOffsets[slot]!;
      const times = words / 2;
      const first = slotTimes[times + SLOT_FIRST_TIME]!;
      const last = slotTimes[times + SLOT_LAST_TIME]!;
      const counts = this.verbScratch.fill(0);
      // Indexed, not for-of: this runs once per slot at the end of a scan, mostly before it is
      // compiled, where an iterator is a call per step.
      for (let v = 0; v < KERNEL_VERBS.length; v++) {
        const logged = KERNEL_VERBS[v]!;
        counts[logged === VERB.GET ? this.getVerb[pathId]! : logged]! += slotWords[words + logged]!;
      }
      channel.addVerbCounts(tally, counts, first, last);
      const firstMinute = slotTimes[times + SLOT_MINUTE_BASE_TIME]!;
      if (!Number.isNaN(firstMinute)) {
        channel.addWriteRun(tally, firstMinute, slotWords, words + SLOT_MINUTES_WORD, MINUTES_PER_SLOT);
      }
    }
    kernel.slotsTaken();
  }

  /** After take(): the kernel's path ids are given out again, so what they stood for is dropped. */
  clear(): void {
    this.kernel.clearPaths();
    this.parsed.fill(undefined);
    this.tallies.fill(undefined);
  }

  /** Where the slot's words start in the kernel's slotWords. */
  private wordsOf(slot: number): number {
    const offsets = this.kernel.slotOffsets;
    return offsets === null ? slot * SLOT_WORDS : offsets[slot]!;
  }

  /** Whether the slot's requests go into its channel's objects (see `only`). */
  private wanted(slot: number): boolean {
    return this.only === null || this.channel(slot % this.kernel.slotsPerPath) === this.only;
  }

  /** A slot of a channel not wanted: its requests to objects added to the channel's total alone. */
  private addTotal(slot: number): void {
    const slotsPerPath = this.kernel.slotsPerPath;
    if (this.pathParsed(Math.floor(slot / slotsPerPath)) === null) return;
    const words = this.wordsOf(slot);
    let total = 0;
    for (let v = 0; v < KERNEL_VERBS.length; v++) total += this.kernel.slotWords[words + KERNEL_VERBS[v]!]!;
    this.addRequests(this.channel(slot % slotsPerPath), total);
  }

  private addRequests(channel: ChannelTally, n: number): void {
    if (this.totals === null) channel.requests += n;
    else this.totals.set(channel, (this.totals.get(channel) ?? 0) + n);
  }

  private pathParsed(pathId: number): ParsedPath | null {
    if (pathId >= this.parsed.length) {
      growTo(this.parsed, pathId, undefined);
      growTo(this.getVerb, pathId, VERB.GET);
    }
    let parsed = this.parsed[pathId];
    if (parsed === undefined) {
      const { arena, pathOffsets, pathLengths } = this.kernel;
      const start = pathOffsets[pathId]!;
      const info = this.host.pathInfo(arena, start, start + pathLengths[pathId]!);
      parsed = info.parsed;
      this.parsed[pathId] = parsed;
      this.getVerb[pathId] = info.getVerb;
    }
    return parsed;
  }

  private channel(component: number): ChannelTally {
    let channel = this.channels[component];
    if (channel === undefined) {
      const start = component * 64;
      channel = this.host.channelOf(
        this.kernel.componentNames,
        start,
        start + this.kernel.componentLengths[component]!,
      );
      this.channels[component] = channel;
    }
    return channel;
  }

  private tally(slot: number, firstMs?: number): ObjectTally | null {
    if (slot >= this.tallies.length) growTo(this.tallies, slot, undefined);
    let tally = this.tallies[slot];
    if (tally === undefined) {
      const slotsPerPath = this.kernel.slotsPerPath;
      const parsed = this.pathParsed(Math.floor(slot / slotsPerPath));
      // A new tally starts at the slot's first request; take() then adds the requests.
      const words = this.wordsOf(slot);
      const first = firstMs ?? (words < 0 ? 0 : this.kernel.slotTimes[words / 2 + SLOT_FIRST_TIME]!);
      tally =
        parsed === null ? null : this.channel(slot % slotsPerPath).tallyOf(parsed.key, parsed.ref, first);
      this.tallies[slot] = tally;
    }
    return tally;
  }
}

/** Makes `array` long enough to hold `index`, the new places holding `fill`: at least doubled. */
function growTo<T>(array: T[], index: number, fill: T): void {
  const from = array.length;
  array.length = Math.max(index + 1, from * 2, 64);
  array.fill(fill, from);
}
