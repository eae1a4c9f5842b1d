import { expandPattern, type ConditionNode } from './condition.js';
import { resolveField, type SearchField } from './fields.js';
import type { Scalar, Selection, SelectionMap } from './schema.js';

/**
 * The tree both backends walk: selections and condition turned into and/or/not over typed
 * matches on resolved fields. Parameters are already bound and values normalised (lower-cased
 * when the match ignores case, CIDR turned into a regular expression), so a backend only
 * declares how each node is written.
 */

export type MatchOp = 'eq' | 'contains' | 'startswith' | 'endswith' | 're' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'null';

export interface Match {
  kind: 'match';
  field: SearchField;
  op: MatchOp;
  /** Unused (true) for exists and null */
  value: string | number | boolean;
  /** False: compare case-insensitively (Sigma's default); the value is then lower-case */
  cased: boolean;
}

export type Predicate = Match | { kind: 'and' | 'or'; items: Predicate[] } | { kind: 'not'; item: Predicate };

const MATCH_MODIFIERS = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'gt', 'gte', 'lt', 'lte', 'exists']);
const FLAG_MODIFIERS = new Set(['all', 'cased']);
const NUMERIC = new Set(['gt', 'gte', 'lt', 'lte']);

/** A problem found while building, with the selection key it concerns. */
export type Report = (message: string, key?: string) => void;

/** Binds `{{name}}` placeholders in a value (lint binds samples of the declared type). */
export type Bind = (value: Scalar) => Scalar;

export function parseFieldKey(key: string): { name: string; modifiers: string[] } {
  const [name, ...modifiers] = key.split('|');
  return { name: name!, modifiers };
}

export function selectionPredicate(selection: Selection, bind: Bind, report: Report): Predicate {
  const maps = Array.isArray(selection) ? selection : [selection];
  const alternatives = maps.map((m) => mapPredicate(m, bind, report));
  return alternatives.length === 1 ? alternatives[0]! : { kind: 'or', items: alternatives };
}

function mapPredicate(map: SelectionMap, bind: Bind, report: Report): Predicate {
  const items = Object.entries(map).map(([key, value]) => entryPredicate(key, value, bind, (m) => report(m, key)));
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

function entryPredicate(key: string, raw: Scalar | Scalar[], bind: Bind, report: (message: string) => void): Predicate {
  const { name, modifiers } = parseFieldKey(key);
  const field = resolveField(name);
  const fallback: Predicate = { kind: 'and', items: [] };
  if (!field) {
    report(`unknown field "${name}": not in the field table (model/fields.ts)`);
    return fallback;
  }
  if (field.type === 'time') report(`"${name}" cannot be matched in a selection: the time range is given by --since/--until and timespans`);
  const unknown = modifiers.filter((m) => !MATCH_MODIFIERS.has(m) && !FLAG_MODIFIERS.has(m));
  if (unknown.length > 0) report(`unknown modifier "${unknown[0]}" (known: ${[...MATCH_MODIFIERS, ...FLAG_MODIFIERS].join(', ')})`);
  const ops = modifiers.filter((m) => MATCH_MODIFIERS.has(m));
  if (ops.length > 1) report(`modifiers ${ops.map((o) => `"${o}"`).join(' and ')} cannot be combined`);
  const op = ops[0] ?? 'eq';
  const all = modifiers.includes('all');
  const cased = modifiers.includes('cased') || op === 'cidr';
  const values = (Array.isArray(raw) ? raw : [raw]).map(bind);
  if (all && values.length < 2) report('"all" needs a list of at least two values');
  if (op === 'exists') {
    if (values.length !== 1 || typeof values[0] !== 'boolean') report('"exists" takes true or false');
    return { kind: 'match', field, op: values[0] === false ? 'null' : 'exists', value: true, cased: true };
  }
  const matches = values.map((v) => valueMatch(field, op, v, cased, report));
  return matches.length === 1 ? matches[0]! : { kind: all ? 'and' : 'or', items: matches };
}

function valueMatch(field: SearchField, op: string, value: Scalar, cased: boolean, report: (message: string) => void): Predicate {
  const m = (o: MatchOp, v: string | number | boolean, c = cased): Match => ({ kind: 'match', field, op: o, value: v, cased: c });
  if (value === null) {
    if (op !== 'eq') report(`"${op}" cannot take null`);
    return m('null', true, true);
  }
  if (NUMERIC.has(op)) {
    if (field.type !== 'number') report(`"${op}" compares numbers, and "${field.path}" is not a number field`);
    if (typeof value !== 'number') report(`"${op}" takes a number, not ${JSON.stringify(value)}`);
    return m(op as MatchOp, value, true);
  }
  if (op === 'eq') {
    if (field.type === 'number' || field.type === 'boolean') {
      if (typeof value !== (field.type === 'number' ? 'number' : 'boolean')) report(`"${field.path}" holds ${field.type}s, not ${JSON.stringify(value)}`);
      return m('eq', value, true);
    }
    const text = String(value);
    return m('eq', cased ? text : text.toLowerCase());
  }
  if (field.type !== 'text') report(`"${op}" matches text, and "${field.path}" is a ${field.type} field`);
  if (typeof value !== 'string' || value === '') {
    report(`"${op}" takes a non-empty string, not ${JSON.stringify(value)}`);
    return m('eq', String(value));
  }
  if (op === 'cidr') {
    const re = cidrPattern(value);
    if (re === undefined) report(`"${value}" is not an IPv4 CIDR block such as 10.0.0.0/8 (addresses are keywords, so IPv6 blocks are not supported)`);
    return m('re', re ?? '', true);
  }
  if (op === 're') {
    const problem = regexProblem(value);
    if (problem) report(`regular expression ${JSON.stringify(value)}: ${problem}`);
  }
  return m(op as MatchOp, cased || op === 're' ? value : value.toLowerCase());
}

/**
 * Regular expressions match the whole value (as Elasticsearch's do) and keep to the syntax both
 * backends read the same: RE2 in DuckDB and Lucene's in Elasticsearch share literals, `.`,
 * classes `[...]`, groups, `|` and the quantifiers `* + ? {n,m}`, but not shorthand classes,
 * anchors, lookaround, lazy quantifiers or back-references.
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (e) {
    return (e as Error).message;
  }
  if (/(^|[^\\])(\\\\)*\\[dwsbDWSB0-9]/.test(pattern))
    return 'shorthand classes (\\d, \\w, \\s, \\b) and back-references are not portable: write [0-9], [A-Za-z0-9_], ...';
  if (/(^|[^\\])(\\\\)*\(\?/.test(pattern)) return 'groups with "(?" (lookaround, flags, named groups) are not portable';
  if (/(^|[^\\])(\\\\)*[\^$]/.test(pattern.replace(/\[\^/g, '['))) return 'anchors ^ and $ are implicit: a pattern always matches the whole value';
  if (/[*+?}]\?/.test(pattern)) return 'lazy quantifiers are not portable';
  return undefined;
}

/** An IPv4 block as a whole-value regular expression over the dotted-quad text. */
export function cidrPattern(block: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(block);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    if (keep === 0) {
      if (octets[i] !== 0) return undefined;
      parts.push('[0-9]{1,3}');
      continue;
    }
    const mask = (0xff << (8 - keep)) & 0xff;
    const low = octets[i]! & mask;
    const high = low + (0xff >> keep);
    if (low !== octets[i]) return undefined;
    parts.push(low === high ? String(low) : `(${Array.from({ length: high - low + 1 }, (_, k) => low + k).join('|')})`);
  }
  return parts.join('\\.');
}

/** The condition over selections (already checked to refer to existing ones). */
export function conditionPredicate(node: ConditionNode, selections: ReadonlyMap<string, Predicate>): Predicate {
  const names = [...selections.keys()];
  const get = (name: string): Predicate => selections.get(name) ?? { kind: 'or', items: [] };
  switch (node.kind) {
    case 'ref':
      return get(node.name);
    case 'not':
      return { kind: 'not', item: conditionPredicate(node.item, selections) };
    case 'and':
    case 'or':
      return { kind: node.kind, items: node.items.map((i) => conditionPredicate(i, selections)) };
    case 'of': {
      const items = expandPattern(node.pattern, names).map(get);
      return items.length === 1 ? items[0]! : { kind: node.quantifier === 'all' ? 'and' : 'or', items };
    }
  }
}

/** Every field a predicate reads. */
export function fieldsOf(p: Predicate, out = new Map<string, SearchField>()): Map<string, SearchField> {
  if (p.kind === 'match') out.set(p.field.path, p.field);
  else if (p.kind === 'not') fieldsOf(p.item, out);
  else p.items.forEach((i) => fieldsOf(i, out));
  return out;
}
