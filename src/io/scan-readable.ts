import type { Readable } from 'node:stream';

/** What scanReadable needs of a scanner (createLogScanner's handle fits). */
export interface ChunkSink {
  push(chunk: Buffer): void;
  end(): void;
}

/**
 * Streams any Readable (a file, stdin, a pod log response) into a scanner chunk by chunk and ends
 * the scanner when the stream ends. Memory stays at one chunk. Rejects with the stream's error;
 * the scanner is then not ended, and what it has counted so far is still there.
 */
export async function scanReadable(
  readable: Readable,
  scanner: ChunkSink,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  for await (const chunk of readable as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    scanner.push(bytes);
    onBytes?.(bytes.length);
  }
  scanner.end();
}
