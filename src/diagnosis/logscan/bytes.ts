/**
 * Byte comparisons four bytes at a time. A DataView read at any offset compiles to one load,
 * where a loop over a Buffer pays a checked load per byte (about 1.4 ns a byte, measured): the
 * scanner compares most of each line against constants and against the path of the line before.
 */

export const viewOf = (buf: Uint8Array): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/**
 * A constant of 4 to 16 bytes, as the little-endian words that cover it (the last may overlap),
 * in fields rather than arrays: a match reads no array and checks no index.
 */
export class BytePattern {
  readonly bytes: Buffer;
  readonly length: number;
  /** Words past the first. */
  readonly more: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly o1: number;
  readonly o2: number;
  readonly o3: number;

  constructor(text: string) {
    this.bytes = Buffer.from(text, 'latin1');
    const n = this.bytes.length;
    if (n < 4 || n > 16) throw new Error(`pattern of ${n} bytes: ${text}`);
    this.length = n;
    const offsets: number[] = [];
    for (let at = 0; at + 4 <= n; at += 4) offsets.push(at);
    if (n % 4) offsets.push(n - 4);
    const word = (i: number): number => (i < offsets.length ? this.bytes.readInt32LE(offsets[i]!) : 0);
    const offset = (i: number): number => offsets[Math.min(i, offsets.length - 1)]!;
    this.more = offsets.length - 1;
    this.w0 = word(0);
    this.w1 = word(1);
    this.w2 = word(2);
    this.w3 = word(3);
    this.o1 = offset(1);
    this.o2 = offset(2);
    this.o3 = offset(3);
  }
}

/** True when `pattern` lies at `at` and ends by `limit` (which is inside the view). */
export function matchPattern(view: DataView, at: number, limit: number, pattern: BytePattern): boolean {
  if (at < 0 || at + pattern.length > limit || view.getInt32(at, true) !== pattern.w0) return false;
  const more = pattern.more;
  if (more === 0) return true;
  if (view.getInt32(at + pattern.o1, true) !== pattern.w1) return false;
  if (more === 1) return true;
  if (view.getInt32(at + pattern.o2, true) !== pattern.w2) return false;
  return more === 2 || view.getInt32(at + pattern.o3, true) === pattern.w3;
}

/** `a[at, at + n)` equals `b[bt, bt + n)`; both ranges lie inside their views. */
export function equalBytes(a: DataView, at: number, b: DataView, bt: number, n: number): boolean {
  if (n < 4) {
    for (let i = 0; i < n; i++) if (a.getUint8(at + i) !== b.getUint8(bt + i)) return false;
    return true;
  }
  const last = n - 4;
  for (let i = 0; i < last; i += 4) if (a.getInt32(at + i, true) !== b.getInt32(bt + i, true)) return false;
  return a.getInt32(at + last, true) === b.getInt32(bt + last, true);
}
