import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { exitOnceWritten } from '../src/cli/exit-once-written.js';
import { writeStandardOutput, type OutputWriters } from '../src/cli/standard-output.js';

/** Writers that take at most `chunk` bytes a call and fail as `failAt` says (by call number). */
function writers(chunk: number, failAt: Record<number, string> = {}) {
  const chunks: Buffer[] = [];
  const streamedChunks: Buffer[] = [];
  let calls = 0;
  const w: OutputWriters = {
    write(bytes, offset) {
      const code = failAt[calls++];
      if (code) throw Object.assign(new Error(code), { code });
      const end = Math.min(bytes.length, offset + chunk);
      chunks.push(Buffer.from(bytes.subarray(offset, end)));
      return end - offset;
    },
    stream(bytes) {
      streamedChunks.push(Buffer.from(bytes));
    },
  };
  return { w, chunks, streamedChunks };
}

const texts = (buffers: Buffer[]): string[] => buffers.map((b) => b.toString());

describe('writeStandardOutput', () => {
  it('writes the whole text, write after write, when the descriptor takes part of it each time', () => {
    const { w, chunks, streamedChunks } = writers(3);
    writeStandardOutput('hot objects: 2\n', w);
    expect(texts(chunks).join('')).toBe('hot objects: 2\n');
    expect(chunks.length).toBe(5);
    expect(streamedChunks).toEqual([]);
  });

  it('counts bytes, not characters (a name in UTF-8, cut inside a character)', () => {
    const text = 'nœud-é\n';
    const { w, chunks } = writers(3);
    writeStandardOutput(text, w);
    expect(Buffer.concat(chunks).toString()).toBe(text);
    expect(chunks.length).toBe(Math.ceil(Buffer.byteLength(text) / 3));
  });

  it('hands what is left to the stream when the descriptor would block (EAGAIN)', () => {
    const { w, chunks, streamedChunks } = writers(4, { 1: 'EAGAIN' });
    writeStandardOutput('0123456789', w);
    expect(texts(chunks)).toEqual(['0123']);
    expect(texts(streamedChunks)).toEqual(['456789']);
  });

  it('stops without an error when the reader has gone (EPIPE)', () => {
    const { w, chunks, streamedChunks } = writers(4, { 1: 'EPIPE' });
    expect(() => writeStandardOutput('0123456789', w)).not.toThrow();
    expect(texts(chunks)).toEqual(['0123']);
    expect(streamedChunks).toEqual([]);
  });

  it('throws any other error (a full disk is the user’s to know)', () => {
    const { w } = writers(4, { 0: 'ENOSPC' });
    expect(() => writeStandardOutput('0123456789', w)).toThrow('ENOSPC');
  });
});

/** Runs the fixture with stdout a pipe read slowly (a reader that starts after `delayMs`). */
function runFixture(mode: 'report' | 'stream' | 'nonblocking', bytes: number, delayMs = 300) {
  return new Promise<{
    code: number | null;
    received: number;
    report: { terminal: boolean; made: string[] };
  }>((resolve, reject) => {
    const child = spawn(process.execPath, ['test/support/write-then-exit.mjs'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MODE: mode, BYTES: String(bytes) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let received = 0;
    let err = '';
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (c: Buffer) => (received += c.length));
      child.stdout.resume();
    }, delayMs);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, received, report: JSON.parse(err.trim().split('\n').at(-1)!) }),
    );
  });
}

describe('exitOnceWritten after a report larger than a pipe holds', () => {
  const BYTES = 4 << 20;

  it('written with write(2): every byte arrives, the exit code is kept, and no stream was made', async () => {
    const r = await runFixture('report', BYTES);
    expect(r.received).toBe(BYTES);
    expect(r.code).toBe(3);
    expect(r.report.terminal).toBe(false);
    expect(r.report.made).toEqual([]);
  });

  it('written with write(2) to a descriptor that would block: the stream takes the rest, and every byte arrives', async () => {
    const r = await runFixture('nonblocking', BYTES);
    expect(r.received).toBe(BYTES);
    expect(r.code).toBe(3);
  });

  it('written through process.stdout: it waits until the reader has taken every byte', async () => {
    const r = await runFixture('stream', BYTES);
    expect(r.received).toBe(BYTES);
    expect(r.code).toBe(3);
    expect(r.report.made).toContain('PipeWrap');
  });
});

describe('exitOnceWritten', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** What exitOnceWritten does at once, with `resources` the process's handles. */
  function exitWith(resources: string[] | Error) {
    const exited: number[] = [];
    // process.exit does not return: the mock stops exitOnceWritten where it would have exited.
    jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      exited.push(code);
      throw new Error('exited');
    }) as never);
    jest.spyOn(process, 'getActiveResourcesInfo').mockImplementation(() => {
      if (resources instanceof Error) throw resources;
      return resources;
    });
    // The written callback never comes: a flush that waits for it leaves the process running.
    const written = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      exitOnceWritten(4);
    } catch (error) {
      if ((error as Error).message !== 'exited') throw error;
    }
    return { exitedAt: exited[0], flushed: written.mock.calls.length > 0 };
  }

  it('exits at once when no pipe, terminal or socket stream was made', () => {
    expect(exitWith(['FSReqCallback', 'Timeout'])).toEqual({ exitedAt: 4, flushed: false });
  });

  it('waits for the streams when one may be stdout or stderr', () => {
    for (const handle of ['PipeWrap', 'TTYWrap', 'TCPSocketWrap']) {
      expect(exitWith([handle])).toEqual({ exitedAt: undefined, flushed: true });
      jest.restoreAllMocks();
    }
  });

  it('waits when it cannot tell', () => {
    expect(exitWith(new Error('not available'))).toEqual({ exitedAt: undefined, flushed: true });
  });
});
