/**
 * The search side of the fake Elasticsearch server: queries, sorting and aggregations evaluated
 * over the documents it stored, read through the stream's mapping (the component templates `es
 * setup` installed), as Elasticsearch reads them. Keyword and flattened values compare as
 * strings, dates as epoch milliseconds, unmapped fields (`dynamic: false`) match nothing.
 * Anything it does not implement throws, so a compiler change that emits something new fails
 * loudly instead of being answered wrongly.
 */

export type Doc = Record<string, unknown>;
export interface StoredHit {
  _index: string;
  _id: string;
  _source: Doc;
}

type LeafType = 'keyword' | 'date' | 'number' | 'boolean' | 'text';
interface ResolvedField {
  /** Where the value sits in `_source` */
  path: string;
  type: LeafType;
  ignoreAbove?: number;
}

/** Field name to the source path and type Elasticsearch would index it as. */
export type FieldResolver = (field: string) => ResolvedField | undefined;

type Props = Record<string, Record<string, unknown>>;

/** A resolver over a document mapping; without one, types are guessed from the values (dynamic mapping). */
export function fieldResolver(mapping: { properties?: Props } | undefined): FieldResolver {
  if (!mapping?.properties) return (field) => ({ path: field, type: 'keyword' });
  const root = mapping.properties;
  const resolve = (field: string, depth: number): ResolvedField | undefined => {
    const parts = field.split('.');
    let props: Props | undefined = root;
    for (let i = 0; i < parts.length && props; i++) {
      const node: Record<string, unknown> | undefined = props[parts[i]!];
      if (!node) return undefined;
      const type = node.type as string | undefined;
      const rest = parts.slice(i + 1);
      const path = parts.slice(0, i + 1).join('.');
      if (type === 'alias') return depth > 3 ? undefined : resolve(String(node.path), depth + 1);
      if (type === 'flattened') return rest.length === 0 ? undefined : { path: field, type: 'keyword', ignoreAbove: node.ignore_above as number | undefined };
      if (type !== undefined) {
        if (rest.length === 0) return { path, type: leafType(type), ignoreAbove: node.ignore_above as number | undefined };
        const sub = (node.fields as Props | undefined)?.[rest.join('.')];
        return sub ? { path, type: leafType(String(sub.type)), ignoreAbove: sub.ignore_above as number | undefined } : undefined;
      }
      props = node.properties as Props | undefined;
    }
    return undefined;
  };
  return (field) => resolve(field, 0);
}

function leafType(esType: string): LeafType {
  if (esType === 'keyword' || esType === 'ip' || esType === 'flattened') return 'keyword';
  if (esType === 'date') return 'date';
  if (esType === 'boolean') return 'boolean';
  if (esType === 'text') return 'text';
  if (['long', 'integer', 'short', 'byte', 'double', 'float'].includes(esType)) return 'number';
  throw new Error(`fake-es does not know the mapping type ${esType}`);
}

function rawAt(doc: Doc, path: string): unknown[] {
  let v: unknown = doc;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
    v = (v as Doc)[k];
  }
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.flat(Infinity) : [v];
}

type Value = string | number | boolean;

/** The values a document has for a field, as the index holds them. */
function valuesOf(doc: Doc, field: string, fields: FieldResolver): { type: LeafType; values: Value[] } | undefined {
  const f = fields(field);
  if (!f) return undefined;
  const values: Value[] = [];
  for (const v of rawAt(doc, f.path)) {
    if (v === null || typeof v === 'object') continue;
    const c = coerce(v as Value, f.type);
    if (c === undefined) continue;
    if (f.ignoreAbove !== undefined && typeof c === 'string' && c.length > f.ignoreAbove) continue;
    values.push(c);
  }
  return { type: f.type, values };
}

function coerce(v: Value, type: LeafType): Value | undefined {
  switch (type) {
    case 'keyword':
    case 'text':
      return String(v);
    case 'date': {
      const ms = typeof v === 'number' ? v : Date.parse(v as string);
      return Number.isNaN(ms) ? undefined : ms;
    }
    case 'number': {
      const n = Number(v);
      return Number.isNaN(n) ? undefined : n;
    }
    case 'boolean':
      return v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;
  }
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Lucene patterns match the whole value, and `.` matches any character, line breaks included. */
const wholeRegex = (source: string, ci: boolean) => new RegExp(`^(?:${source})$`, ci ? 'si' : 's');

/** Lucene wildcard syntax: `*` any run, `?` one character, `\` escapes. */
function wildcardRegex(pattern: string, ci: boolean): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) out += escapeRe(pattern[++i]!);
    else if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else out += escapeRe(c);
  }
  return wholeRegex(out, ci);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

type Query = Record<string, unknown>;

/** Whether a stored document matches a query of the kinds auditline sends. */
export function matches(hit: StoredHit, query: Query | undefined, fields: FieldResolver): boolean {
  if (!query) return true;
  const [kind, spec] = Object.entries(query)[0] ?? ['match_all', {}];
  const one = (s: unknown): [string, Record<string, unknown>] => {
    const [field, v] = Object.entries(s as Record<string, unknown>)[0]!;
    return [field, typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v }];
  };
  switch (kind) {
    case 'match_all':
      return true;
    case 'match_none':
      return false;
    case 'bool': {
      const b = spec as Record<string, Query | Query[] | number | undefined>;
      const list = (k: string) => (b[k] === undefined ? [] : Array.isArray(b[k]) ? (b[k] as Query[]) : [b[k] as Query]);
      const required = [...list('filter'), ...list('must')];
      const should = list('should');
      const minimum = typeof b.minimum_should_match === 'number' ? b.minimum_should_match : should.length > 0 && required.length === 0 ? 1 : 0;
      return (
        required.every((q) => matches(hit, q, fields)) &&
        !list('must_not').some((q) => matches(hit, q, fields)) &&
        should.filter((q) => matches(hit, q, fields)).length >= minimum
      );
    }
    case 'ids':
      return (spec as { values: string[] }).values.includes(hit._id);
    case 'exists': {
      const got = valuesOf(hit._source, (spec as { field: string }).field, fields);
      return got !== undefined && got.values.length > 0;
    }
    case 'term':
    case 'terms': {
      const [field, s]: [string, Record<string, unknown>] =
        kind === 'term' ? one(spec) : [Object.keys(spec as object)[0]!, { value: Object.values(spec as object)[0] }];
      const got = valuesOf(hit._source, field, fields);
      if (!got) return false;
      if (got.type === 'text') throw new Error(`fake-es does not analyse text: term on ${field}`);
      const wanted = (kind === 'term' ? [s.value] : (s.value as Value[])).map((w) => coerce(w as Value, got.type));
      const ci = s.case_insensitive === true;
      const norm = (v: Value | undefined) => (ci && typeof v === 'string' ? v.toLowerCase() : v);
      return got.values.some((v) => wanted.some((w) => w !== undefined && norm(v) === norm(w)));
    }
    case 'prefix':
    case 'wildcard':
    case 'regexp': {
      const [field, s] = one(spec);
      const got = valuesOf(hit._source, field, fields);
      if (!got) return false;
      if (got.type !== 'keyword') throw new Error(`fake-es: ${kind} on a ${got.type} field (${field})`);
      const ci = s.case_insensitive === true;
      const value = String(s.value);
      if (kind === 'regexp' && s.flags !== undefined && s.flags !== 'NONE') throw new Error(`fake-es reads regexp flags NONE only, not ${String(s.flags)}`);
      const re = kind === 'prefix' ? wholeRegex(`${escapeRe(value)}.*`, ci) : kind === 'wildcard' ? wildcardRegex(value, ci) : wholeRegex(value, ci);
      return got.values.some((v) => re.test(String(v)));
    }
    case 'range': {
      const [field, r] = one(spec);
      const got = valuesOf(hit._source, field, fields);
      if (!got) return false;
      if (r.format !== undefined && r.format !== 'epoch_millis') throw new Error(`fake-es reads range format epoch_millis only, not ${String(r.format)}`);
      const bound = (x: unknown) => coerce(x as Value, got.type)!;
      return got.values.some(
        (v) =>
          (r.gte === undefined || compare(v, bound(r.gte)) >= 0) &&
          (r.gt === undefined || compare(v, bound(r.gt)) > 0) &&
          (r.lte === undefined || compare(v, bound(r.lte)) <= 0) &&
          (r.lt === undefined || compare(v, bound(r.lt)) < 0),
      );
    }
    default:
      throw new Error(`fake-es does not evaluate ${JSON.stringify(query)}`);
  }
}

// ---- sorting ----

type SortValue = Value | null;
interface SortKey {
  field: string;
  desc: boolean;
}

export function sortKeys(sort: unknown): SortKey[] {
  const list = sort === undefined ? [] : Array.isArray(sort) ? sort : [sort];
  return list.map((s) => {
    if (typeof s === 'string') return { field: s, desc: false };
    const [field, spec] = Object.entries(s as Record<string, unknown>)[0]!;
    const order = typeof spec === 'string' ? spec : (spec as { order?: string }).order;
    return { field, desc: order === 'desc' };
  });
}

/** A hit's sort values as Elasticsearch returns them: dates in epoch milliseconds, missing values null. */
export function sortValues(hit: StoredHit, keys: readonly SortKey[], fields: FieldResolver): SortValue[] {
  return keys.map((k) => {
    if (k.field === '_id') return hit._id;
    const got = valuesOf(hit._source, k.field, fields);
    if (!got) throw new Error(`fake-es: cannot sort on unmapped field ${k.field}`);
    if (got.values.length === 0) return null;
    const sorted = [...got.values].sort(compare);
    return (k.desc ? sorted.at(-1) : sorted[0])!;
  });
}

/** Compares sort values; missing values sort last in either direction (`missing: _last`). */
export function compareSort(a: readonly SortValue[], b: readonly SortValue[], keys: readonly SortKey[]): number {
  for (let i = 0; i < keys.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = compare(x, y);
    if (c !== 0) return keys[i]!.desc ? -c : c;
  }
  return 0;
}

/** Hits in sort order, each with its `sort` values; `search_after` skips up to and including that position. */
export function sortHits(hits: StoredHit[], sort: unknown, after: unknown[] | undefined, fields: FieldResolver): (StoredHit & { sort?: SortValue[] })[] {
  const keys = sortKeys(sort);
  if (keys.length === 0) {
    if (after) throw new Error('fake-es: search_after needs a sort');
    return hits;
  }
  let sorted = hits.map((h) => ({ ...h, sort: sortValues(h, keys, fields) })).sort((x, y) => compareSort(x.sort, y.sort, keys));
  if (after) {
    const cursor = after.map((v, i) => (v === null ? null : typeof v === 'string' && keys[i]!.field === '@timestamp' ? Date.parse(v) : (v as Value)));
    sorted = sorted.filter((h) => compareSort(h.sort, cursor, keys) > 0);
  }
  return sorted;
}

/** A hit as a search answers it, with or without `_source`. */
export function shownHit(h: StoredHit & { sort?: SortValue[] }, source: unknown): Record<string, unknown> {
  return { _index: h._index, _id: h._id, _score: null, ...(source === false ? {} : { _source: h._source }), ...(h.sort ? { sort: h.sort } : {}) };
}

// ---- aggregations ----

type AggSpec = Record<string, unknown>;
type AggOut = Record<string, unknown>;
interface Bucket {
  key: Value;
  doc_count: number;
  [sub: string]: unknown;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function fixedIntervalMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`fake-es: fixed_interval "${text}" is not a number and one of ms, s, m, h, d (as Elasticsearch requires)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

const PIPELINES = new Set(['bucket_selector']);

/** Aggregations over the hits of one bucket (or of the whole search). Pipeline aggregations are applied by the parent. */
export function aggregate(hits: StoredHit[], aggs: Record<string, AggSpec>, fields: FieldResolver): AggOut {
  const out: AggOut = {};
  for (const [name, spec] of Object.entries(aggs)) {
    const kind = Object.keys(spec).find((k) => k !== 'aggs' && k !== 'aggregations');
    if (!kind) throw new Error(`fake-es: aggregation ${name} has no type`);
    if (PIPELINES.has(kind)) continue;
    out[name] = one(hits, kind, spec[kind] as Record<string, unknown>, (spec.aggs ?? spec.aggregations) as Record<string, AggSpec> | undefined, fields);
  }
  return out;
}

function one(hits: StoredHit[], kind: string, params: Record<string, unknown>, sub: Record<string, AggSpec> | undefined, fields: FieldResolver): AggOut {
  const field = params.field as string | undefined;
  const valuesFor = (h: StoredHit) => {
    const got = valuesOf(h._source, field!, fields);
    if (got?.type === 'text') throw new Error(`fake-es: cannot aggregate the text field ${field}`);
    return got;
  };
  const typeOfField = () => fields(field!)?.type;
  switch (kind) {
    case 'terms': {
      const groups = new Map<string, { key: Value; hits: StoredHit[] }>();
      for (const h of hits) {
        for (const v of new Set(valuesFor(h)?.values ?? [])) {
          const k = JSON.stringify(v);
          (groups.get(k) ?? groups.set(k, { key: v, hits: [] }).get(k)!).hits.push(h);
        }
      }
      const order = (params.order ?? [{ _count: 'desc' }, { _key: 'asc' }]) as Record<string, string> | Record<string, string>[];
      const orders = (Array.isArray(order) ? order : [order]).map((o) => Object.entries(o)[0]!);
      if (!orders.some(([k]) => k === '_key')) orders.push(['_key', 'asc']);
      const sorted = [...groups.values()].sort((a, b) => {
        for (const [k, dir] of orders) {
          if (k !== '_key' && k !== '_count') throw new Error(`fake-es: terms order by ${k}`);
          const c = k === '_count' ? a.hits.length - b.hits.length : compare(a.key, b.key);
          if (c !== 0) return dir === 'desc' ? -c : c;
        }
        return 0;
      });
      const size = (params.size as number | undefined) ?? 10;
      const kept = sorted.slice(0, size);
      const type = typeOfField();
      const buckets = kept.map((g) => bucketOf(termKey(g.key, type), g.hits, sub, fields));
      return { doc_count_error_upper_bound: 0, sum_other_doc_count: sorted.slice(size).reduce((n, g) => n + g.hits.length, 0), buckets: select(buckets, sub) };
    }
    case 'date_histogram': {
      if (params.calendar_interval !== undefined || params.interval !== undefined) throw new Error('fake-es: date_histogram with fixed_interval only');
      if (params.offset !== undefined || (params.time_zone !== undefined && params.time_zone !== 'UTC'))
        throw new Error('fake-es: date_histogram without offset or time zone');
      const interval = fixedIntervalMs(String(params.fixed_interval));
      const byKey = new Map<number, StoredHit[]>();
      for (const h of hits) {
        for (const v of valuesFor(h)?.values ?? []) {
          const key = Math.floor((v as number) / interval) * interval;
          (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(h);
        }
      }
      const keys = [...byKey.keys()].sort((a, b) => a - b);
      const minDocCount = (params.min_doc_count as number | undefined) ?? 0;
      const all: number[] = [];
      if (minDocCount === 0 && keys.length > 0) for (let k = keys[0]!; k <= keys.at(-1)!; k += interval) all.push(k);
      const buckets = (minDocCount === 0 ? all : keys)
        .filter((k) => (byKey.get(k)?.length ?? 0) >= minDocCount)
        .map((k) => ({ key_as_string: new Date(k).toISOString(), ...bucketOf({ key: k }, byKey.get(k) ?? [], sub, fields) }));
      return { buckets: select(buckets as Bucket[], sub) };
    }
    case 'filter': {
      const query = params as Query;
      return bucketOf(
        {},
        hits.filter((h) => matches(h, query, fields)),
        sub,
        fields,
      );
    }
    case 'min':
    case 'max': {
      const values = hits.flatMap((h) => (valuesFor(h)?.values ?? []) as number[]);
      if (values.length === 0) return { value: null };
      const value = kind === 'min' ? Math.min(...values) : Math.max(...values);
      return typeOfField() === 'date' ? { value, value_as_string: new Date(value).toISOString() } : { value };
    }
    case 'cardinality': {
      // Exact: Elasticsearch's HyperLogLog++ is exact, or nearly, below its precision threshold.
      return { value: new Set(hits.flatMap((h) => (valuesFor(h)?.values ?? []).map((v) => JSON.stringify(v)))).size };
    }
    case 'top_hits': {
      const sorted = sortHits(hits, params.sort, undefined, fields);
      const size = (params.size as number | undefined) ?? 3;
      return { hits: { total: { value: hits.length, relation: 'eq' }, max_score: null, hits: sorted.slice(0, size).map((h) => shownHit(h, params._source)) } };
    }
    default:
      throw new Error(`fake-es does not aggregate ${kind}`);
  }
}

function termKey(key: Value, type: LeafType | undefined): Record<string, unknown> {
  if (type === 'boolean') return { key: key === true ? 1 : 0, key_as_string: String(key) };
  if (type === 'date') return { key, key_as_string: new Date(key as number).toISOString() };
  return { key };
}

function bucketOf(head: Record<string, unknown>, hits: StoredHit[], sub: Record<string, AggSpec> | undefined, fields: FieldResolver): Bucket {
  return { ...head, doc_count: hits.length, ...(sub ? aggregate(hits, sub, fields) : {}) } as Bucket;
}

/** The parent's `bucket_selector`s, applied once every bucket's own aggregations (and their pipelines) are done. */
function select(buckets: Bucket[], sub: Record<string, AggSpec> | undefined): Bucket[] {
  const selectors = Object.values(sub ?? {})
    .filter((s) => 'bucket_selector' in s)
    .map((s) => s.bucket_selector as { buckets_path: Record<string, string>; script: string | { source: string; params?: Record<string, number> } });
  return buckets.filter((b) =>
    selectors.every((s) => {
      const script = typeof s.script === 'string' ? { source: s.script } : s.script;
      const vars: Record<string, number | null> = { ...script.params };
      for (const [name, path] of Object.entries(s.buckets_path)) vars[name] = bucketValue(b, path);
      return evaluateScript(script.source, vars);
    }),
  );
}

/** A `buckets_path` read from one bucket: `_count`, `agg`, `agg.value`, `agg._bucket_count`, `single>..._count`. */
function bucketValue(bucket: Record<string, unknown>, path: string): number | null {
  const hops = path.split('>');
  let node: Record<string, unknown> = bucket;
  for (const hop of hops.slice(0, -1)) {
    const next = node[hop] as Record<string, unknown> | undefined;
    if (!next || 'buckets' in next) throw new Error(`fake-es: buckets_path ${path}: ${hop} is not a single-bucket aggregation`);
    node = next;
  }
  const last = hops.at(-1)!;
  if (last === '_count') return node.doc_count as number;
  const [name, metric] = last.split('.', 2) as [string, string | undefined];
  const agg = node[name] as Record<string, unknown> | undefined;
  if (!agg) throw new Error(`fake-es: buckets_path ${path}: no aggregation ${name}`);
  if (metric === '_bucket_count') return (agg.buckets as unknown[]).length;
  if (metric === undefined || metric === 'value') return agg.value as number | null;
  if (metric === '_count') return agg.doc_count as number;
  throw new Error(`fake-es: buckets_path ${path}`);
}

/**
 * The Painless a `bucket_selector` script holds, for the expressions the compiler writes: comparisons
 * of `params.x` and numbers joined by `&&` and `||`, with parentheses. Anything else throws.
 */
export function evaluateScript(source: string, vars: Record<string, number | null>): boolean {
  const tokens = source.match(/params\.[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?|&&|\|\||[<>=!]=|[<>()]|true|false|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const primary = (): number | boolean | null => {
    const t = take();
    if (t === '(') {
      const v = or();
      if (take() !== ')') throw new Error(`fake-es: script ${source}: missing )`);
      return v;
    }
    if (t === 'true' || t === 'false') return t === 'true';
    if (t?.startsWith('params.')) {
      const name = t.slice('params.'.length);
      if (!(name in vars)) throw new Error(`fake-es: script ${source}: params.${name} is not set`);
      return vars[name]!;
    }
    if (t !== undefined && /^\d/.test(t)) return Number(t);
    throw new Error(`fake-es: script ${source}: unexpected ${t}`);
  };
  const comparison = (): boolean | number | null => {
    const left = primary();
    const op = peek();
    if (op === undefined || !['<', '<=', '>', '>=', '==', '!='].includes(op)) return left;
    take();
    const right = primary();
    if (left === null || right === null) throw new Error(`fake-es: script ${source}: a null value (Painless throws)`);
    const [a, b] = [Number(left), Number(right)];
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : op === '==' ? a === b : a !== b;
  };
  const and = (): boolean | number | null => {
    let v = comparison();
    while (peek() === '&&') {
      take();
      const r = comparison();
      v = Boolean(v) && Boolean(r);
    }
    return v;
  };
  const or = (): boolean | number | null => {
    let v = and();
    while (peek() === '||') {
      take();
      const r = and();
      v = Boolean(v) || Boolean(r);
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`fake-es: script ${source}: trailing ${tokens[i]}`);
  if (typeof result !== 'boolean') throw new Error(`fake-es: script ${source} does not give a boolean`);
  return result;
}
