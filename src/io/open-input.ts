import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { inputError } from './input-error.js';
import { isGzipHead } from './split.js';

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
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      return {
        path,
        size: info.size,
        gzip: isGzipHead(head, bytesRead),
      };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw inputError(path, error);
  }
}

/** Decompresses when the first bytes are gzip's magic; passes anything else through. */
export function gunzipIfCompressed(source: Readable): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let decided = false;
  let head = Buffer.alloc(0);
  const decide = (): void => {
    decided = true;
    source.off('data', onData);
    source.off('end', onEnd);
    const gzip = isGzipHead(head);
    const target = gzip ? createGunzip() : out;
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

/** A stream of the input's decompressed bytes; `-` is stdin. */
export function openInputStream(info: InputInfo, stdin: Readable = process.stdin): Readable {
  if (info.path === '-') return gunzipIfCompressed(stdin);
  const file = createReadStream(info.path, { highWaterMark: 1 << 20 });
  if (!info.gzip) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}
