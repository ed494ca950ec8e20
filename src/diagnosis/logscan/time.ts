/**
 * Timestamps read straight from bytes: the hot path must not build a string or a Date per line.
 * All results are milliseconds since the epoch (UTC); NaN when the bytes are not a timestamp.
 */

const DIGIT0 = 0x30;

function digits(buf: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const d = (buf[at + i] ?? 0) - DIGIT0;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const MS_PER_DAY = 86_400_000;

/** `hh:mm:ss[.frac]` at `at`; returns ms within the day and, through `end`, where it stopped. */
function timeOfDay(buf: Uint8Array, at: number, limit: number, end: { at: number }): number {
  if (buf[at + 2] !== 0x3a || buf[at + 5] !== 0x3a) return NaN;
  const h = digits(buf, at, 2);
  const m = digits(buf, at + 3, 2);
  const s = digits(buf, at + 6, 2);
  if (!(h < 24 && m < 60 && s < 61)) return NaN;
  return ((h * 60 + m) * 60 + s) * 1000 + fraction(buf, at + 8, limit, end);
}

/**
 * An optional `.ddd...` at `p` as whole milliseconds (digits past the third are read over, not
 * rounded); `end.at` is set to where it stopped.
 */
function fraction(buf: Uint8Array, p: number, limit: number, end: { at: number }): number {
  let ms = 0;
  if (p < limit && buf[p] === 0x2e) {
    p++;
    let scale = 100;
    while (p < limit) {
      const d = buf[p]! - DIGIT0;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale = scale === 100 ? 10 : scale === 10 ? 1 : 0;
      p++;
    }
  }
  end.at = p;
  return ms;
}

const scratchEnd = { at: 0 };

/**
 * The last `yyyy-mm-ddThh:mm:ss` parsed, and its ms (the fraction and zone left out): the lines of
 * a log come thousands to the second, so most stamps only need their fraction and zone read.
 */
const lastStamp = new Uint8Array(19);
/**
 * Its ms and its bytes as the little-endian words at 0, 4, 8, 12 and 15, in an object's fields:
 * module-level `let`s cost a hole check and an untyped test on every read in optimised code.
 */
const stamp = { valid: false, ms: 0, w0: 0, w1: 0, w2: 0, w3: 0, w4: 0 };

/** Where the last successful parseRfc3339 stopped: just past the zone. */
export const rfc3339End = { at: 0 };

/** RFC 3339 (`2022-05-07T08:24:37.495902397Z`, or with a `+hh:mm` offset) at `at`, not past `limit`. */
export function parseRfc3339(buf: Uint8Array, at: number, limit: number): number {
  if (limit - at < 20) return NaN;
  if (stamp.valid) {
    let i = 18;
    while (i >= 0 && buf[at + i] === lastStamp[i]) i--;
    if (i < 0) return stamp.ms + fraction(buf, at + 19, limit, scratchEnd) - zoneAt(buf, scratchEnd.at);
  }
  if (buf[at + 4] !== 0x2d || buf[at + 7] !== 0x2d) return NaN;
  const sep = buf[at + 10];
  if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) return NaN;
  const year = digits(buf, at, 4);
  const month = digits(buf, at + 5, 2);
  const day = digits(buf, at + 8, 2);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
  const tod = timeOfDay(buf, at + 11, limit, scratchEnd);
  if (Number.isNaN(tod)) return NaN;
  const p = scratchEnd.at;
  const offsetMs = zoneAt(buf, p);
  const dayMs = daysFromCivil(year, month, day) * MS_PER_DAY;
  const stop = rfc3339End.at;
  // Remembered as validated: the same 19 bytes give the same date and second.
  for (let i = 0; i < 19; i++) lastStamp[i] = buf[at + i]!;
  stamp.w0 = stampView.getInt32(0, true);
  stamp.w1 = stampView.getInt32(4, true);
  stamp.w2 = stampView.getInt32(8, true);
  stamp.w3 = stampView.getInt32(12, true);
  stamp.w4 = stampView.getInt32(15, true);
  stamp.ms = dayMs + tod - fraction(buf, at + 19, limit, scratchEnd);
  stamp.valid = true;
  rfc3339End.at = stop;
  return dayMs + tod - offsetMs;
}

const stampView = new DataView(lastStamp.buffer);

/**
 * parseRfc3339 with the remembered second compared as words through `view` (a view of `buf`):
 * the common case of a stamp in the same second as the line before.
 */
export function parseRfc3339View(view: DataView, buf: Uint8Array, at: number, limit: number): number {
  if (
    stamp.valid &&
    limit - at >= 20 &&
    view.getInt32(at, true) === stamp.w0 &&
    view.getInt32(at + 4, true) === stamp.w1 &&
    view.getInt32(at + 8, true) === stamp.w2 &&
    view.getInt32(at + 12, true) === stamp.w3 &&
    view.getInt32(at + 15, true) === stamp.w4
  ) {
    return stamp.ms + fraction(buf, at + 19, limit, scratchEnd) - zoneAt(buf, scratchEnd.at);
  }
  return parseRfc3339(buf, at, limit);
}

/** zoneOffset, also noting in rfc3339End where the zone ends. */
function zoneAt(buf: Uint8Array, p: number): number {
  const zone = buf[p];
  if (zone === 0x5a || zone === 0x7a) {
    rfc3339End.at = p + 1;
    return 0;
  }
  rfc3339End.at = p + 6;
  return zoneOffset(buf, p);
}

/** `Z` or `±hh:mm` at `p` as ms east of UTC; NaN when neither. */
function zoneOffset(buf: Uint8Array, p: number): number {
  const zone = buf[p];
  if (zone === 0x5a || zone === 0x7a) return 0;
  if ((zone !== 0x2b && zone !== 0x2d) || buf[p + 3] !== 0x3a) return NaN;
  const minutes = digits(buf, p + 1, 2) * 60 + digits(buf, p + 4, 2);
  return (zone === 0x2b ? 1 : -1) * minutes * 60_000;
}

/**
 * The klog header's `mmdd hh:mm:ss.uuuuuu` at `at` (just after the severity letter). The header
 * has no year: the year is the one that puts the line at or before `referenceMs` (plus a day of
 * clock skew). A log that runs over New Year therefore gets December lines in the earlier year and
 * January lines in the later one; the turn of a day needs nothing, since the header has the date.
 */
export function parseKlogTime(buf: Uint8Array, at: number, limit: number, referenceMs: number): number {
  if (limit - at < 20 || buf[at + 4] !== 0x20) return NaN;
  const month = digits(buf, at, 2);
  const day = digits(buf, at + 2, 2);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(2000, month))) return NaN;
  const tod = timeOfDay(buf, at + 5, limit, scratchEnd);
  if (Number.isNaN(tod)) return NaN;
  return klogInstant(month, day, tod, referenceMs);
}

function klogInstant(month: number, day: number, tod: number, referenceMs: number): number {
  let year = utcYear(referenceMs);
  if (
    day > daysInMonth(year, month) ||
    daysFromCivil(year, month, day) * MS_PER_DAY + tod > referenceMs + MS_PER_DAY
  ) {
    year--;
    // 29 February: the last leap year before.
    while (day > daysInMonth(year, month)) year--;
  }
  return daysFromCivil(year, month, day) * MS_PER_DAY + tod;
}

/**
 * The last klog `mmdd hh:mm:ss` parsed (as words at 0, 4, 8 and 9), for the reference instant it
 * was given the year of, and its instant less the fraction. Kept only when the year is the same
 * for every fraction of that second.
 */
const klogSecond = { valid: false, referenceMs: 0, w0: 0, w1: 0, w2: 0, w3: 0, ms: 0 };

/** parseKlogTime, with a header in the same second as the one before read as words through `view`. */
export function parseKlogTimeView(
  view: DataView,
  buf: Uint8Array,
  at: number,
  limit: number,
  referenceMs: number,
): number {
  if (limit - at < 20) return NaN;
  const k = klogSecond;
  if (
    k.valid &&
    k.referenceMs === referenceMs &&
    view.getInt32(at, true) === k.w0 &&
    view.getInt32(at + 4, true) === k.w1 &&
    view.getInt32(at + 8, true) === k.w2 &&
    view.getInt32(at + 9, true) === k.w3
  ) {
    return k.ms + fraction(buf, at + 13, limit, scratchEnd);
  }
  const ms = parseKlogTime(buf, at, limit, referenceMs);
  if (Number.isNaN(ms)) return ms;
  const month = digits(buf, at, 2);
  const day = digits(buf, at + 2, 2);
  const second =
    (digits(buf, at + 5, 2) * 3600 + digits(buf, at + 8, 2) * 60 + digits(buf, at + 11, 2)) * 1000;
  const first = klogInstant(month, day, second, referenceMs);
  k.valid = first === klogInstant(month, day, second + 999, referenceMs) - 999;
  k.referenceMs = referenceMs;
  k.w0 = view.getInt32(at, true);
  k.w1 = view.getInt32(at + 4, true);
  k.w2 = view.getInt32(at + 8, true);
  k.w3 = view.getInt32(at + 9, true);
  k.ms = first;
  return ms;
}

let yearOfMs = NaN;
let yearOfMsYear = 0;

/** The UTC year of an instant; one Date per reference instant, not per line. */
function utcYear(ms: number): number {
  if (ms !== yearOfMs) {
    yearOfMsYear = new Date(ms).getUTCFullYear();
    yearOfMs = ms;
  }
  return yearOfMsYear;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * parseRfc3339 for its commonest case, a stamp in the same second as the one before, in UTC:
 * `buf[at, zoneAt]` is the remembered 19 bytes, `.`, digits and the `Z` at `zoneAt`. The fraction's
 * digits are checked four at a time. NaN when the stamp is not of that shape: the caller then
 * parses it whole.
 */
export function sameSecondUtc(view: DataView, buf: Uint8Array, at: number, zoneAt: number): number {
  const digitsAt = at + 20;
  const n = zoneAt - digitsAt;
  if (
    n < 0 ||
    !stamp.valid ||
    buf[zoneAt] !== 0x5a ||
    buf[at + 19] !== 0x2e ||
    view.getInt32(at, true) !== stamp.w0 ||
    view.getInt32(at + 4, true) !== stamp.w1 ||
    view.getInt32(at + 8, true) !== stamp.w2 ||
    view.getInt32(at + 12, true) !== stamp.w3 ||
    view.getInt32(at + 15, true) !== stamp.w4
  ) {
    return NaN;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    // Every byte 0x30-0x39: high nibbles 3, and adding 6 to the low ones carries into none.
    const word = view.getInt32(digitsAt + i, true);
    if ((word & 0xf0f0f0f0) !== 0x30303030 || ((word + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) return NaN;
  }
  for (; i < n; i++) {
    const d = buf[digitsAt + i]! - DIGIT0;
    if (d < 0 || d > 9) return NaN;
  }
  let ms = 0;
  if (n > 0) ms += (buf[digitsAt]! - DIGIT0) * 100;
  if (n > 1) ms += (buf[digitsAt + 1]! - DIGIT0) * 10;
  if (n > 2) ms += buf[digitsAt + 2]! - DIGIT0;
  rfc3339End.at = zoneAt + 1;
  return stamp.ms + ms;
}
