import { fstatSync, writeSync } from 'node:fs';

/**
 * Standard output and error without process.stdout and process.stderr where they are not needed.
 * Node makes those streams on first use; for a pipe each is a net.Socket, and the first loads the
 * net and stream modules: about 6 ms of a scan-logs run that only prints its report at the end.
 */

/** What the report is written with: write(2) on fd 1 (`write`), then the stream (`stream`). */
export interface OutputWriters {
  write(bytes: Uint8Array, offset: number): number;
  stream(bytes: Uint8Array): void;
}

const STANDARD: OutputWriters = {
  write: (bytes, offset) => writeSync(1, bytes, offset),
  stream: (bytes) => void process.stdout.write(bytes),
};

/**
 * Writes `text` to standard output with write(2). The descriptor a shell, or Node's
 * child_process, gives a child blocks, so each write returns once its bytes are in the pipe or
 * file. One that would not block (EAGAIN: the caller made it non-blocking) hands what is left to
 * process.stdout, which queues it until the reader takes it (exitOnceWritten waits for that).
 * A reader that went away (EPIPE, `| head`) takes nothing more, as when the stream wrote.
 */
export function writeStandardOutput(text: string, writers: OutputWriters = STANDARD): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writers.write(bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      writers.stream(bytes.subarray(offset));
      return;
    }
  }
}

/**
 * process.stderr when it is a terminal (a progress bar is drawn there), else null, found without
 * making the stream when fd 2 cannot be one: a pipe or a file is no character device.
 */
export function terminalStderr(): NodeJS.WriteStream | null {
  try {
    if (!fstatSync(2).isCharacterDevice()) return null;
  } catch {
    return null;
  }
  return process.stderr.isTTY ? process.stderr : null;
}
