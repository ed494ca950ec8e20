import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

/**
 * The WebAssembly hot loop (kernel/kernel.ts, built by `npm run build:kernel`) as the scanner
 * sees it: an input area to fill with whole lines, the events a scan of it gives, and the
 * requests it has added up per slot (a path and a component). Codes and layouts are the kernel's.
 */

export const EV_FALLBACK = 1;
export const EV_REQUEST = 2;
export const EV_SATISFIED = 3;
export const EV_SKIPPED = 4;
export const EV_MINUTES = 5;
export const EV_NEW_COMPONENT = 6;
export const EV_NEW_SLOT = 7;
export const EV_HTTPLOG = 8;
export const EV_HTTPLOG_REQUEST = 9;

/**
 * The component the kernel counts httplog lines under: its channel is the scan's httplog channel.
 * No component of a handler line is named so (a name ends at the first colon).
 */
export const HTTPLOG_COMPONENT = 'httplog:';

/** A slot's fields, as indexes into slotWords (u32) and slotTimes (f64). */
export const SLOT_WORDS = 32;
export const SLOT_FIRST_TIME = 4;
export const SLOT_LAST_TIME = 5;
/** The first minute of the slot's minute counts (NaN: none), and the counts. */
export const SLOT_MINUTE_BASE_TIME = 6;
export const SLOT_MINUTES_WORD = 16;
export const MINUTES_PER_SLOT = 16;

/** Words of LineKernel.status. */
export const STATUS_STOPPED = 0;
export const STATUS_KNOWN_DOCKER = 1;
export const STATUS_SKIPPED_DOCKER = 2;
export const STATUS_PATHS_FULL = 3;
export const STATUS_DIRTY_SLOTS = 4;
export const STATUS_KNOWN_CRI = 5;
export const STATUS_SKIPPED_CRI = 6;
/** Set by the caller before a scan: a CRI partial line waits for its final line on stdout, stderr. */
export const STATUS_PARTIAL_STDOUT = 7;
export const STATUS_PARTIAL_STDERR = 8;
/** httplog lines counted without an event, Docker and CRI. */
export const STATUS_HTTPLOG_DOCKER = 9;
export const STATUS_HTTPLOG_CRI = 10;

interface KernelExports {
  memory: { buffer: ArrayBuffer };
  init(maxLineBytes: number, sinceMs: number): void;
  inputAt(): number;
  headsAt(): number;
  timesAt(): number;
  arenaAt(): number;
  pathOffsetsAt(): number;
  pathLengthsAt(): number;
  componentNamesAt(): number;
  componentLengthsAt(): number;
  slotsAt(): number;
  runsAt(): number;
  dirtySlotsAt(): number;
  statusAt(): number;
  scan(from: number, to: number): number;
  slotsTaken(): void;
  clearPaths(): void;
  INPUT_BYTES: { value: number };
  MAX_EVENTS: { value: number };
  MAX_PATHS: { value: number };
  MAX_COMPONENTS: { value: number };
  SLOTS_PER_PATH: { value: number };
  SLOT_BYTES: { value: number };
}

export interface LineKernel {
  /** The input area: bytes written here are what scan() reads. */
  readonly input: Buffer;
  /** Four words per event: head (type | component << 8 | verb << 16), path id or slot, a, b. */
  readonly heads: Int32Array;
  readonly times: Float64Array;
  /** Path id i's bytes: arena[pathOffsets[i], pathOffsets[i] + pathLengths[i]). */
  readonly arena: Buffer;
  readonly pathOffsets: Int32Array;
  readonly pathLengths: Int32Array;
  /** Component i's name: componentNames[i * 64, i * 64 + componentLengths[i]). */
  readonly componentNames: Buffer;
  readonly componentLengths: Int32Array;
  readonly slotsPerPath: number;
  readonly slotWords: Uint32Array;
  /**
   * Where each slot's words start in slotWords (-1: a slot it does not hold); null when slot s's
   * are at s * SLOT_WORDS, as in a live kernel.
   */
  readonly slotOffsets: Int32Array | null;
  /** The minute counts of EV_MINUTES event i: runWords[i * MINUTES_PER_SLOT, (i + 1) * MINUTES_PER_SLOT). */
  readonly runWords: Uint32Array;
  readonly slotTimes: Float64Array;
  readonly dirtySlots: Int32Array;
  /**
   * What the last scan left (kernel.ts statusAt): where it stopped (a line start), the lines it
   * counted without an event (satisfied-by lines; skipped Docker lines), whether the path table
   * is full (then: take the slots, clearPaths(), scan on), and the slots counted in.
   */
  readonly status: Int32Array;
  /** Scans input[from, to) (whole lines); the number of events. */
  scan(from: number, to: number): number;
  slotsTaken(): void;
  clearPaths(): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled kernel, or null when it does not compile on this machine (a CPU without SIMD): the
 * scanner then reads every line itself, with the same counts, slower. Its bytes are built into
 * kernel-wasm.ts by `npm run build:kernel` (build, prepare and pretest run it). Compiled once per
 * thread.
 */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
    } catch (error) {
      if (!(error instanceof WebAssembly.CompileError)) throw error;
      compiled = null;
    }
  }
  return compiled;
}

export function kernelAvailable(): boolean {
  return kernelModule() !== null;
}

/** A kernel of its own for one scanner; null when it does not compile here. */
export function createLineKernel(maxLineBytes: number, sinceMs: number): LineKernel | null {
  const module = kernelModule();
  if (module === null) return null;
  const k = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  k.init(maxLineBytes, sinceMs);
  // Memory is laid out once by init() and never grows, so these views stay valid.
  const buffer = k.memory.buffer;
  const maxEvents = k.MAX_EVENTS.value;
  const maxPaths = k.MAX_PATHS.value;
  const maxComponents = k.MAX_COMPONENTS.value;
  const slotCount = maxPaths * k.SLOTS_PER_PATH.value;
  const slotBytes = k.SLOT_BYTES.value;
  if (slotBytes !== SLOT_WORDS * 4) throw new Error(`log scanner kernel: slots of ${slotBytes} bytes`);
  return {
    input: Buffer.from(buffer, k.inputAt(), k.INPUT_BYTES.value),
    heads: new Int32Array(buffer, k.headsAt(), maxEvents * 4),
    times: new Float64Array(buffer, k.timesAt(), maxEvents),
    arena: Buffer.from(buffer, k.arenaAt()),
    pathOffsets: new Int32Array(buffer, k.pathOffsetsAt(), maxPaths),
    pathLengths: new Int32Array(buffer, k.pathLengthsAt(), maxPaths),
    componentNames: Buffer.from(buffer, k.componentNamesAt(), maxComponents * 64),
    componentLengths: new Int32Array(buffer, k.componentLengthsAt(), maxComponents),
    slotsPerPath: k.SLOTS_PER_PATH.value,
    slotWords: new Uint32Array(buffer, k.slotsAt(), slotCount * SLOT_WORDS),
    slotOffsets: null,
    runWords: new Uint32Array(buffer, k.runsAt(), maxEvents * MINUTES_PER_SLOT),
    slotTimes: new Float64Array(buffer, k.slotsAt(), (slotCount * SLOT_WORDS) / 2),
    dirtySlots: new Int32Array(buffer, k.dirtySlotsAt(), slotCount),
    status: new Int32Array(buffer, k.statusAt(), 11),
    scan: k.scan,
    slotsTaken: k.slotsTaken,
    clearPaths: k.clearPaths,
  };
}

/** What a recorded kernel (slot-record.ts) keeps of one: its paths, components and slots. */
export interface KernelSlotsState {
  arena: Buffer;
  pathOffsets: Int32Array;
  pathLengths: Int32Array;
  componentNames: Buffer;
  componentLengths: Int32Array;
  slotsPerPath: number;
  /** The dirty slots' words, in their order. */
  slotWords: Uint32Array;
  slotOffsets: Int32Array;
  dirtySlots: Int32Array;
  status: Int32Array;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * A kernel that scans nothing, over the paths, components and slots of a recorded one
 * (slot-record.ts), for KernelSlots to carry its slots in. Its fields are createLineKernel's, in
 * the same order: the code that reads kernels (KernelSlots) then sees one shape of object and
 * stays compiled for it (two shapes made the replay of a 1 GiB scan's records take half again as long).
 */
export function recordedKernel(state: KernelSlotsState): LineKernel {
  const status = state.status;
  return {
    input: NO_BYTES,
    heads: new Int32Array(0),
    times: new Float64Array(0),
    arena: state.arena,
    pathOffsets: state.pathOffsets,
    pathLengths: state.pathLengths,
    componentNames: state.componentNames,
    componentLengths: state.componentLengths,
    slotsPerPath: state.slotsPerPath,
    slotWords: state.slotWords,
    slotOffsets: state.slotOffsets,
    runWords: new Uint32Array(0),
    slotTimes: new Float64Array(
      state.slotWords.buffer,
      state.slotWords.byteOffset,
      state.slotWords.length / 2,
    ),
    dirtySlots: state.dirtySlots,
    status,
    scan: () => {
      throw new Error('a recorded kernel scans nothing');
    },
    slotsTaken: () => {
      status[STATUS_DIRTY_SLOTS] = 0;
    },
    clearPaths: () => {},
  };
}
