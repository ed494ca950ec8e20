import type { ConfigurationOptions } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { Caller } from './caller.js';
import type { Operation } from './hints.js';
import { listSchema, parseObject } from './schemas.js';

const PAGE_SIZE = 500;

/** The `limit` and `continue` of one page of a list call. */
export interface PageRequest {
  limit: number;
  _continue: string | undefined;
}

/** Every page of a list, each page one call of its own (retried apart, with its own timeout). */
export async function listAllPages<T>(
  caller: Caller,
  operation: Operation,
  fetchPage: (page: PageRequest, options: ConfigurationOptions) => Promise<unknown>,
  parse: (page: unknown) => { items: T[]; continueToken: string | null },
  signal?: AbortSignal,
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const request: PageRequest = { limit: PAGE_SIZE, _continue: cont };
    const page = parse(await caller.call(operation, (o) => fetchPage(request, o), signal));
    out.push(...page.items);
    cont = page.continueToken ?? undefined;
  } while (cont);
  return out;
}

/** Reads one page of a list of `item`s, for listAllPages. */
export function parseList<T extends Parameters<typeof listSchema>[0]>(item: T, what: string) {
  const schema = listSchema(item);
  return (page: unknown) => {
    const parsed = parseObject(schema, page, what);
    return {
      items: parsed.items as z.infer<T>[],
      continueToken: parsed.metadata.continue || null,
    };
  };
}
