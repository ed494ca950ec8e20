import { VERB, verbIndex } from './request-path.js';
import { BytePattern, matchPattern } from './bytes.js';
import { SPACE, ascii, isDigit, latin1 } from './ascii.js';

/**
 * klog lines (`Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`), plain or inside a Docker or CRI
 * line: the header up to the message, and the words of the request lines the scanner counts. The
 * walk of a request line's message to its count is the line reader's (line-reader.ts), kept there
 * with the rest of the scanner's hot loop.
 */

const HANDLER_GO = new BytePattern('handler.go:');
const PATHRECORDER_GO = new BytePattern('pathrecorder.go:');
const HTTPLOG_GO = new BytePattern('httplog.go:');
export const SATISFIED_BY = new BytePattern(' satisfied by');
export const HTTP_VERB = new BytePattern('HTTP');
export const VERB_ATTR = new BytePattern(' verb=');
export const URI_ATTR = new BytePattern(' URI=');
export const RESP_ATTR = ascii(' resp=');

/** `GET ` and `PUT ` as the little-endian word a line's four bytes are compared with. */
export const GET_ = ascii('GET ').readInt32LE(0);
export const PUT_ = ascii('PUT ').readInt32LE(0);

/** The klog severities: I, W, E, F. */
export const isSeverity = (c: number | undefined): boolean =>
  c === 0x49 || c === 0x57 || c === 0x45 || c === 0x46;

export const FILE_HANDLER = 0;
export const FILE_PATHRECORDER = 1;
export const FILE_HTTPLOG = 2;

/** Set by klogFile: FILE_HANDLER, FILE_PATHRECORDER or FILE_HTTPLOG. */
export const klogFileKind = { kind: FILE_HANDLER };

/**
 * The thread id and `file:line] ` of a klog line from `at` (just past the time), walked; where
 * the message starts, or -1 when the file is none of handler.go, pathrecorder.go, httplog.go.
 */
export function klogFile(buf: Buffer, view: DataView, at: number, end: number): number {
  let p = at;
  while (p < end && buf[p] === SPACE) p++;
  if (!isDigit(buf[p])) return -1;
  while (p < end && isDigit(buf[p])) p++;
  if (buf[p] !== SPACE) return -1;
  const file = p + 1;
  let kind: number;
  let q: number;
  if (matchPattern(view, file, end, HANDLER_GO)) {
    kind = FILE_HANDLER;
    q = file + HANDLER_GO.length;
  } else if (matchPattern(view, file, end, PATHRECORDER_GO)) {
    kind = FILE_PATHRECORDER;
    q = file + PATHRECORDER_GO.length;
  } else if (matchPattern(view, file, end, HTTPLOG_GO)) {
    kind = FILE_HTTPLOG;
    q = file + HTTPLOG_GO.length;
  } else {
    return -1;
  }
  while (q < end && isDigit(buf[q])) q++;
  if (buf[q] !== 0x5d || buf[q + 1] !== SPACE) return -1;
  const message = q + 2;
  klogFileKind.kind = kind;
  return message;
}

/** The verb of a handler line from its bytes, without a string for the common methods. */
export function verbFromBytes(buf: Buffer, at: number, end: number): number {
  const c = buf[at];
  switch (end - at) {
    case 3:
      if (c === 0x47 && buf[at + 1] === 0x45 && buf[at + 2] === 0x54) return VERB.GET;
      if (c === 0x50 && buf[at + 1] === 0x55 && buf[at + 2] === 0x54) return VERB.PUT;
      break;
    case 4:
      if (c === 0x50 && buf[at + 1] === 0x4f && buf[at + 2] === 0x53 && buf[at + 3] === 0x54)
        return VERB.POST;
      break;
  }
  return verbIndex(latin1(buf, at, end));
}
