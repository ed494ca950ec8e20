/**
 * Byte comparisons four bytes at a time. A DataView read at any offset compiles to one load,
 * where a loop over a Buffer pays a checked load per byte (about 1.4 ns a byte, measured): the
 * scanner compares most of each line against constants and against the path of the line before.
 */

export const viewOf = (buf: Uint8Array): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/** A constant of 4 bytes or more, as the little-endian words that cover it (the last may overlap). */
export class BytePattern {
  readonly bytes: Buffer;
  readonly length: number;
  readonly words: Int32Array;
  readonly offsets: Int32Array;

  constructor(text: string) {
    this.bytes = Buffer.from(text, 'latin1');
    this.length = this.bytes.length;
    if (this.length < 4) throw new Error(`pattern shorter than a word: ${text}`);
    const offsets: number[] = [];
    for (let at = 0; at + 4 <= this.length; at += 4) offsets.push(at);
    if (this.length % 4) offsets.push(this.length - 4);
    this.offsets = Int32Array.from(offsets);
    this.words = Int32Array.from(offsets, (at) => this.bytes.readInt32LE(at));
  }
}

/** True when `pattern` lies at `at` and ends by `limit` (which is inside the view). */
export function matchPattern(view: DataView, at: number, limit: number, pattern: BytePattern): boolean {
  if (at < 0 || at + pattern.length > limit) return false;
  const { words, offsets } = pattern;
  for (let i = 0; i < words.length; i++) {
    if (view.getInt32(at + offsets[i]!, true) !== words[i]) return false;
  }
  return true;
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
