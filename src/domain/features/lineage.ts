import { CURATED_COLUMNS } from './sql';

/**
 * Which event fields each column of glue/features.sql reads: every `expr AS name` of the file is followed back,
 * alias by alias, to the curated columns it names, and each of those to the raw field it flattens ("product_price"
 * → "product.price"). Direct reads only — which rows count (sessions, the purchase cut) is `rowSelection`, read by
 * every feature.
 */

/** Raw columns ingest derives from the contract: a change to the source changes them. */
const DERIVED_FROM: Record<string, string[]> = { device_class: ['context.user_agent'] };
/** The aliases that decide which rows exist (the purchase cut, the session's first event). */
const ROW_SELECTION_ALIASES = ['purchase_t', 'k'];
/** Each curated column and the raw field it holds. */
const CURATED_FROM = new Map(CURATED_COLUMNS.map((c) => [c.name, c.from]));

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/g;

/** The SQL with comments, string literals and macro wrappers taken out ({{M(x)}} → x). */
const plain = (sql: string) =>
  sql
    .replace(/--[^\n]*/g, '')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\{\{[A-Z_]+\(([^)]*)\)\}\}/g, '($1)');

/** Splits at commas outside parentheses. */
function topLevelItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(list.slice(start, i));
      start = i + 1;
    }
  }
  items.push(list.slice(start));
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Every alias of the file and the expressions that define it (an alias may be defined in several selects). */
function definitions(sql: string): Map<string, string[]> {
  const defs = new Map<string, string[]>();
  for (const match of plain(sql).matchAll(/\bSELECT\s+([\s\S]*?)\s+FROM\s/gi)) {
    for (const item of topLevelItems(match[1]!)) {
      const as = /^([\s\S]+)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)$/i.exec(item);
      const [expr, alias] = as ? [as[1]!, as[2]!] : [item, item.split('.').pop()!];
      if (alias === '*' || expr === alias) continue;
      defs.set(alias, [...(defs.get(alias) ?? []), expr]);
    }
  }
  return defs;
}

export interface FeatureLineage {
  /** Each column and the contract fields its expression reads. */
  columns: Map<string, Set<string>>;
  /** The contract fields every column depends on through which rows exist. */
  rowSelection: Set<string>;
}

export function featureLineage(sql: string, columns: readonly string[]): FeatureLineage {
  const defs = definitions(sql);
  const resolve = (alias: string, seen: Set<string>, into: Set<string>): Set<string> => {
    if (seen.has(alias)) return into;
    seen.add(alias);
    for (const expr of defs.get(alias) ?? []) {
      for (const [token] of expr.matchAll(IDENTIFIER)) {
        // A table alias prefix ("d.price") names the same column.
        const name = token.split('.').at(-1)!;
        const from = CURATED_FROM.get(name);
        if (from !== undefined) for (const path of DERIVED_FROM[from] ?? [from]) into.add(path);
        else if (defs.has(name)) resolve(name, seen, into);
      }
    }
    return into;
  };
  const rowSelection = new Set<string>(['session_id']);
  for (const alias of ROW_SELECTION_ALIASES) resolve(alias, new Set(), rowSelection);
  return { columns: new Map(columns.map((c) => [c, resolve(c, new Set(), new Set())])), rowSelection };
}

/** Whether a change at `changed` touches a read of `read` (the same field, inside it, or around it). */
export const touches = (changed: string, read: string): boolean => changed === read || read.startsWith(`${changed}.`) || changed.startsWith(`${read}.`);
