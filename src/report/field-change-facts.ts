import type { FieldChanges, WriteRate, WriteSighting } from '../diagnosis/types.js';
import { NODE_WRITERS } from '../diagnosis/node-writers.js';
import { plural } from '../text/plural.js';
import { SOURCE_LABELS } from './vocabulary.js';

/** Which field flips on each write, and who writes it: one line for the report, and the details. */
export interface FieldChangeFacts {
  /** Where it was seen: "churn watch", "audit log". */
  sourceLabel: string;
  /** Writes compared with the version before them. */
  compared: number;
  /**
   * "status.conditions[type=Updated].lastUpdateTime on 100% of 297 writes, status.dockerInfo 50%:
   * node-controller-sync, tunnel authorizer"; the writes that changed no field are counted in it.
   */
  line: string;
  /** Every source's paths with counts, the writers and what they are, the users: the "details". */
  details: string[];
}

const SHOWN_IN_LINE = 3;

const percent = (share: number) => `${Math.round(share * 100)}%`;

function summaryLine(c: FieldChanges): string {
  const fields = c.fields
    .slice(0, SHOWN_IN_LINE)
    .map((f, i) =>
      i === 0
        ? `${f.path} on ${percent(f.share)} of ${plural(c.compared, 'write')}`
        : `${f.path} ${percent(f.share)}`,
    );
  const more = c.fields.length > SHOWN_IN_LINE ? ` and ${c.fields.length - SHOWN_IN_LINE} more` : '';
  // Writes that changed no field are said, else "on 5% of 19 writes" leaves the other 95% unexplained.
  const rest = c.unchanged
    ? `; ${c.unchanged} of ${c.compared} changed nothing but bookkeeping (resourceVersion, managedFields)`
    : '';
  const what = fields.length
    ? `${fields.join(', ')}${more}`
    : `no field but bookkeeping changed over ${plural(c.compared, 'write')}`;
  const writers = c.writers.length ? `: ${c.writers.map((w) => w.name).join(', ')}` : '';
  const actor = c.actors?.[0];
  const by = actor ? `; sent by ${actor.user}${actor.userAgent ? ` (${actor.userAgent})` : ''}` : '';
  return `${what}${writers}${fields.length ? rest : ''}${by}`;
}

function detailLines(c: FieldChanges): string[] {
  const out = [
    `${SOURCE_LABELS[c.source]}: ${plural(c.compared, 'write')} compared with the version before${c.unchanged ? `, ${c.unchanged} changed nothing but bookkeeping` : ''}`,
  ];
  for (const f of c.fields)
    out.push(
      `  ${f.path}: ${f.writes} (${percent(f.share)})${f.writers.length ? `, written by ${f.writers.join(' or ')}` : ''}`,
    );
  for (const w of c.writers) {
    const what = NODE_WRITERS.find((n) => n.name === w.name)?.what;
    out.push(`  ${w.name} (${percent(w.share)} of the writes)${what ? `: ${what}` : ''}`);
  }
  for (const a of c.actors ?? [])
    out.push(
      `  sent by ${a.user}${a.userAgent ? `, user agent ${a.userAgent}` : ''}: ${plural(a.writes, 'write')}`,
    );
  return out;
}

/**
 * From every source that compared versions: the line from the one that saw the most writes (an
 * audit log's, naming users, when it compared as many); the details from all of them.
 */
export function fieldChangeFacts(rates: (WriteRate | WriteSighting)[]): FieldChangeFacts | null {
  const all = rates
    .map((r) => ('fieldChanges' in r ? r.fieldChanges : undefined))
    .filter((c): c is FieldChanges => c !== undefined);
  if (!all.length) return null;
  const main = [...all].sort(
    (a, b) => b.compared - a.compared || Number(Boolean(b.actors)) - Number(Boolean(a.actors)),
  )[0]!;
  return {
    sourceLabel: SOURCE_LABELS[main.source],
    compared: main.compared,
    line: summaryLine(main),
    details: all.flatMap(detailLines),
  };
}
