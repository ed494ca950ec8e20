import { formatBytes } from '../text/bytes.js';

/** Inputs smaller than this finish before a bar would be worth drawing. */
export const PROGRESS_FROM_BYTES = 64 * 1024 * 1024;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export interface ByteProgress {
  path: string;
  bytesDone: number;
  bytesTotal: number | null;
}

/**
 * A one-line progress bar redrawn in place on a terminal. Gzipped inputs count decompressed
 * bytes against sizes on disk, so the percentage is capped and the bytes are shown as they are.
 */
export function createProgressBar(stream: NodeJS.WriteStream, now: () => number = Date.now) {
  const started = now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(p: ByteProgress): void {
      const t = now();
      if (t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      drawn = true;
      stream.write(`\r\x1b[K${progressLine(p, t - started, stream.columns ?? 80)}`);
    },
    clear(): void {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

export function progressLine(p: ByteProgress, elapsedMs: number, columns: number): string {
  const rate = elapsedMs > 0 ? `${formatBytes((p.bytesDone * 1000) / elapsedMs)}/s` : '';
  const name = p.path === '-' ? 'standard input' : p.path;
  let line: string;
  if (p.bytesTotal) {
    const fraction = Math.min(1, p.bytesDone / p.bytesTotal);
    const filled = Math.round(fraction * BAR_WIDTH);
    line =
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` +
      `  ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}  ${rate}  ${name}`;
  } else {
    line = `${formatBytes(p.bytesDone)} read  ${rate}  ${name}`;
  }
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}
