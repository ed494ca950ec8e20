import { EARLY_END_RULE } from './loop-rule.js';

/**
 * One way to turn "this many writes" into a rate, for every source (logs, audit log, churn watch):
 * writes over the span the source actually observed, not over calendar minutes (a 20-second log
 * touching two minutes would then read a tenth of the real rate).
 *
 * The span is the object's own, first to last sighting, when it holds enough writes to be a
 * measurement (the bar that also ends the churn watch early), so that a loop that started late in
 * a long log is measured over its own span; otherwise the window the source read, at most a
 * minute, and a whole minute for fewer writes than a measurement takes, so that a short burst (a
 * node registering) is spread over a minute as it always was. Such a rate is a lower bound, not a
 * measurement: the writes are known to have come at least that fast, and the span said with it is
 * the window the source read, since the minute they are spread over was never observed.
 */
export interface SpanRule {
  /** At least this many writes ... */
  minWrites: number;
  /** ... over at least this many seconds make the object's own span a measurement. */
  minSeconds: number;
  /** Otherwise the window read counts, up to this many seconds. */
  floorSeconds: number;
}

export const SPAN_RULE: SpanRule = {
  minWrites: EARLY_END_RULE.minWrites,
  minSeconds: EARLY_END_RULE.minSeconds,
  floorSeconds: 60,
};

export interface Observation {
  writes: number;
  /** First and last sighting of the object (ms). */
  firstMs: number;
  lastMs: number;
  /** The window the source read (ms): a watch's start and end, a log's first and last request. */
  windowStartMs: number;
  windowEndMs: number;
}

export interface ObservedRate {
  writesPerMinute: number;
  /**
   * How long the source observed the object, in seconds (not rounded): the span a measurement is
   * over; for a lower bound, the window read.
   */
  observedSeconds: number;
  /** Too few writes to measure: they came at least this fast. */
  lowerBound: boolean;
}

export function observedRate(o: Observation, rule: SpanRule = SPAN_RULE): ObservedRate {
  const own = Math.max(0, (o.lastMs - o.firstMs) / 1000);
  const window = Math.max(own, (o.windowEndMs - o.windowStartMs) / 1000);
  const measured = o.writes >= rule.minWrites && own >= rule.minSeconds;
  // n writes from first to last are n - 1 intervals: a steady 60/min over 59 s is 60, not 61.
  if (measured)
    return { writesPerMinute: ((o.writes - 1) * 60) / own, observedSeconds: own, lowerBound: false };
  // Fewer writes than a measurement takes are a minute's at most, whatever the window (one write in
  // a log of one line is no loop); more, in a short window, are over the window.
  const few = o.writes < rule.minWrites;
  const floor = few ? rule.floorSeconds : Math.min(window, rule.floorSeconds);
  const seconds = Math.max(1, own, floor);
  const writesPerMinute = (o.writes * 60) / seconds;
  if (few && seconds > own) return { writesPerMinute, observedSeconds: window, lowerBound: true };
  return { writesPerMinute, observedSeconds: seconds, lowerBound: false };
}
