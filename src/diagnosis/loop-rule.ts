/**
 * The one rule for "this object is written in a loop", asked by the log scan, the churn watch and
 * whatever later wants to know whether a loop goes on or has ended. An object loops when it is
 * written at least `minWritesPerMinute` times a minute, at least `farAboveFactor` times as fast as
 * the typical writer next to it, and at least `minWrites` times in all (a rate from two writes is
 * not a loop).
 */
export interface LoopRuleSettings {
  minWritesPerMinute: number;
  farAboveFactor: number;
  minWrites: number;
}

/**
 * In apiserver logs every object's writes are counted, leader-election leases among them, renewed
 * every 2 s (30 writes/min): healthy objects stay below 60. Every object with a rate was written,
 * so the rate alone (scan-logs' --threshold) decides how few writes make a loop.
 */
export const LOG_LOOP_RULE: LoopRuleSettings = { minWritesPerMinute: 60, farAboveFactor: 5, minWrites: 1 };

/**
 * The churn watch sees only node objects: a healthy one changes every few tens of seconds at most,
 * the loop rewrites it every few seconds or faster.
 */
export const CHURN_LOOP_RULE: LoopRuleSettings = { minWritesPerMinute: 20, farAboveFactor: 5, minWrites: 3 };

/**
 * When the churn watch may end before its window: one object written at least `minWrites` times
 * over at least `minSeconds` (first to last write), at `rateFactor` times the rule's rate or more,
 * and looping by the rule. Far enough past the rule that a longer watch would not change the
 * verdict; a quiet cluster never meets it and gets the whole window ("nothing loops" needs it).
 */
export interface EarlyEndRule {
  minWrites: number;
  minSeconds: number;
  rateFactor: number;
}

export const EARLY_END_RULE: EarlyEndRule = { minWrites: 30, minSeconds: 10, rateFactor: 3 };

/** Whether `writes` over `seconds` (the object's own span) settle it: see EarlyEndRule. */
export function isConclusive(
  object: { writes: number; seconds: number },
  typicalPerMinute: number,
  rule: LoopRuleSettings,
  early: EarlyEndRule = EARLY_END_RULE,
): boolean {
  if (object.writes < early.minWrites || object.seconds < early.minSeconds) return false;
  const writesPerMinute = ((object.writes - 1) * 60) / object.seconds;
  return (
    writesPerMinute >= early.rateFactor * rule.minWritesPerMinute &&
    isLooping({ writes: object.writes, writesPerMinute }, typicalPerMinute, rule)
  );
}

export interface WriteCount {
  writes: number;
  writesPerMinute: number;
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The typical writer's rate: the median of the writers below the rule's rate. With none, it is 0
 * and the rate alone decides.
 */
export function typicalRate(ratesPerMinute: number[], rule: LoopRuleSettings): number {
  return median(ratesPerMinute.filter((r) => r > 0 && r < rule.minWritesPerMinute));
}

export function isLooping(object: WriteCount, typicalPerMinute: number, rule: LoopRuleSettings): boolean {
  return (
    object.writes >= rule.minWrites &&
    object.writesPerMinute >= rule.minWritesPerMinute &&
    object.writesPerMinute >= rule.farAboveFactor * typicalPerMinute
  );
}

/**
 * The opposite question, after a fix or when a watch may end early: the object is under the rule
 * and written no faster than a healthy sibling of it, give or take a few heartbeat writes (a
 * short window counts a heartbeat or two more on one object than on the other by chance: the
 * allowance is the rate the rule's factor puts far below a loop). Without a sibling's rate, under
 * the rule is not enough to call the loop over.
 */
export function hasStoppedLooping(
  object: WriteCount,
  healthySiblingPerMinute: number | null,
  typicalPerMinute: number,
  rule: LoopRuleSettings,
): boolean {
  if (isLooping(object, typicalPerMinute, rule) || healthySiblingPerMinute === null) return false;
  return object.writesPerMinute <= healthySiblingPerMinute + heartbeatAllowance(rule);
}

/** Writes a minute more than the sibling that still count as heartbeats. */
export function heartbeatAllowance(rule: LoopRuleSettings): number {
  return rule.minWritesPerMinute / rule.farAboveFactor;
}
