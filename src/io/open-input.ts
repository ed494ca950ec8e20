import { close, createReadStream, open, read, stat } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { inputError } from './input-error.js';
import { isGzipHead } from './split.js';

// Loaded when an input needs them (stdin, gzip), not with this module: node:stream, node:zlib and
// node:fs/promises, with what they load, took about 6 ms of every scan-logs start, and a large
// plain file (split across threads, read with readSync) needs none of them.
const lazyRequire = createRequire(import.meta.url);
const stream = (): typeof import('node:stream') => lazyRequire('node:stream') as typeof import('node:stream');
const zlib = (): typeof import('node:zlib') => lazyRequire('node:zlib') as typeof import('node:zlib');
const statFile = promisify(stat);
const openFile = promisify(open);
const readBytes = promisify(read);
const closeFile = promisify(close);

export interface InputInfo {
  path: string;
  /** Bytes on disk; null for stdin. */
  size: number | null;
  gzip: boolean;
}

/** Stats a file and reads its first bytes: gzip is recognised by its magic bytes, not its name. */
export async function inspectInput(path: string): Promise<InputInfo> {
  if (path === '-') return { path, size: null, gzip: false };
  try {
    const info = await statFile(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const fd = await openFile(path, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await readBytes(fd, head, 0, 2, 0);
      return {
        path,
        size: info.size,
        gzip: isGzipHead(head, bytesRead),
      };
    } finally {
      await closeFile(fd);
    }
  } catch (error) {
    throw inputError(path, error);
  }
}

/** Decompresses when the first bytes are gzip's magic; passes anything else through. */
export function gunzipIfCompressed(source: Readable): Readable {
  const out = new (stream().PassThrough)({ highWaterMark: 1 << 20 });
  let decided = false;
  let head = Buffer.alloc(0);
  const decide = (): void => {
    decided = true;
    source.off('data', onData);
    source.off('end', onEnd);
    const gzip = isGzipHead(head);
    const target = gzip ? zlib().createGunzip() : out;
    if (gzip) {
      target.on('error', (error) => out.destroy(error));
      target.pipe(out);
    }
    target.write(head);
    source.pipe(target);
    source.resume();
  };
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 2) {
      source.pause();
      decide();
    }
  };
  const onEnd = (): void => {
    if (!decided) {
      decided = true;
      out.end(head);
    }
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', (error) => out.destroy(error));
  return out;
}

/**
 * A stream of the input's decompressed bytes; `-` is stdin (`stdin`, else process.stdin, made only
 * then: making it for a file took about 7 ms of a small scan).
 */
export function openInputStream(info: InputInfo, stdin?: Readable): Readable {
  if (info.path === '-') return gunzipIfCompressed(stdin ?? process.stdin);
  const file = createReadStream(info.path, { highWaterMark: 1 << 20 });
  if (!info.gzip) return file;
  const gunzip = zlib().createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}
