import { ConditionSyntaxError, parseCondition, referencedSelections } from './condition.js';
import { LOCATION_FIELD, resolveField, type SearchField } from './fields.js';
import type { LoadedSearch, SearchIssue } from './load.js';
import { conditionPredicate, selectionPredicate, type Bind, type Predicate } from './predicate.js';
import { durationMs, WEEKDAYS, type Scalar, type SearchDefinition, type Selection, type Threshold } from './schema.js';

/**
 * A search made ready for a backend: its filter as a predicate tree, and what to do with the
 * events that pass it. Built by one pass that also reports every problem with its line, so the
 * linter and the compilers cannot disagree about what a file means.
 */

export type PlanKind = 'events' | 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'new_terms' | 'baseline';

export interface Step {
  name: string;
  predicate: Predicate;
}

export interface Plan {
  name: string;
  definition: SearchDefinition;
  kind: PlanKind;
  filter: Predicate;
  /** Grouping fields; `location` first unless a value_count counts locations */
  groupBy: SearchField[];
  /** Window width (correlations, baseline) */
  spanMs: number;
  /** Look-back before the searched range (new_terms, baseline) */
  historyMs: number;
  threshold: Threshold;
  /** value_count and new_terms: the field whose values are counted */
  valueField: SearchField | undefined;
  steps: Step[];
  /** baseline: what counts toward the metric's numerator for error_rate */
  errors: Predicate | undefined;
  metric: 'rate' | 'error_rate' | undefined;
  factor: number;
  minCount: number;
  minHistory: number;
  /** Only events outside this working window (UTC) pass the filter */
  outsideHours: WorkingWindow | undefined;
}

/** A working window in numbers: days as `getUTCDay()` numbers (0 Sunday), minutes of the day, `toMin` exclusive. */
export interface WorkingWindow {
  days: number[];
  fromMin: number;
  toMin: number;
}

const clockMin = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

export type ParamValues = Record<string, string | number | boolean>;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;
const SAMPLE: Record<string, string | number | boolean> = { string: 'sample', integer: 1, boolean: true };

/**
 * Builds the plan of a loaded search. With `params` undefined (lint), placeholders are bound to
 * samples of their declared type; otherwise to the given values, which must be complete.
 */
export function buildPlan(loaded: LoadedSearch, params: ParamValues | undefined): { plan: Plan | undefined; issues: SearchIssue[] } {
  const issues: SearchIssue[] = [...loaded.issues];
  const def = loaded.definition;
  if (!def) return { plan: undefined, issues };
  const at = (message: string, pointer: string, key?: string) => issues.push({ file: loaded.file, line: loaded.lineOf(pointer, key), message });
  const declared = def.parameters ?? {};
  const used = new Set<string>();

  const bindAt =
    (pointer: string, key: string): Bind =>
    (value: Scalar) => {
      if (typeof value !== 'string') return value;
      const whole = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/.exec(value);
      const lookup = (p: string): string | number | boolean | undefined => {
        used.add(p);
        const decl = declared[p];
        if (!decl) {
          at(`parameter "${p}" is not declared under parameters`, pointer, key);
          return undefined;
        }
        return params ? params[p] : (decl.default ?? SAMPLE[decl.type]);
      };
      if (whole) return lookup(whole[1]!) ?? value;
      return value.replace(PLACEHOLDER, (all, p: string) => {
        const v = lookup(p);
        return v === undefined ? all : String(v);
      });
    };

  const selections = new Map<string, Predicate>();
  for (const [name, selection] of Object.entries(def.detection)) {
    if (name === 'condition') continue;
    const pointer = `/detection/${name}`;
    const report = (message: string, key?: string) => at(message, pointer, key);
    selections.set(name, selectionPredicate(selection as Selection, bindAt(pointer, name), report));
  }
  const names = [...selections.keys()];
  if (names.length === 0) at('detection has no selection', '/detection');

  let filter: Predicate = { kind: 'and', items: [] };
  const usedSelections = new Set<string>();
  let conditionParsed = false;
  try {
    const tree = parseCondition(def.detection.condition);
    const refs = referencedSelections(tree, names);
    const check = (n: typeof tree): void => {
      if (n.kind === 'ref' && !selections.has(n.name)) at(`condition names "${n.name}", which is not a selection of detection`, '/detection/condition');
      if (n.kind === 'of' && referencedSelections(n, names).size === 0)
        at(`condition "${n.pattern === '*' ? 'them' : n.pattern}" matches no selection`, '/detection/condition');
      if (n.kind === 'not') check(n.item);
      if (n.kind === 'and' || n.kind === 'or') n.items.forEach(check);
    };
    check(tree);
    refs.forEach((r) => usedSelections.add(r));
    filter = conditionPredicate(tree, selections);
    conditionParsed = true;
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw e;
    at(`condition: ${e.message}`, '/detection/condition');
  }

  const field = (name: string, pointer: string, key?: string): SearchField | undefined => {
    const f = resolveField(name);
    if (!f) at(`unknown field "${name}": not in the field table (model/fields.ts)`, pointer, key);
    return f;
  };
  const groupFields = (list: string[], pointer: string) => list.map((n, i) => field(n, `${pointer}/${i}`)).filter((f): f is SearchField => f !== undefined);
  const step = (name: string, pointer: string): Step => {
    usedSelections.add(name);
    const p = selections.get(name);
    if (!p) at(`"${name}" is not a selection of detection`, pointer);
    return { name, predicate: p ?? { kind: 'or', items: [] } };
  };

  const plan: Plan = {
    name: loaded.name,
    definition: def,
    kind: 'events',
    filter,
    groupBy: [],
    spanMs: 0,
    historyMs: 0,
    threshold: {},
    valueField: undefined,
    steps: [],
    errors: undefined,
    metric: undefined,
    factor: 0,
    minCount: 0,
    minHistory: 0,
    outsideHours: undefined,
  };

  const blocks = (['correlation', 'new_terms', 'baseline'] as const).filter((b) => def[b] !== undefined);
  if (blocks.length > 1) at(`a rule has one of correlation, new_terms and baseline, not ${blocks.join(' and ')}`, `/${blocks[1]}`);
  if (def.type === 'search' && blocks.length > 0) at(`${blocks[0]} makes a detection rule: set type: rule`, `/${blocks[0]}`);
  if (def.type === 'rule' && def.severity === undefined) at('a rule needs a severity', '', 'type');
  if (def.type === 'rule') {
    for (const [p, decl] of Object.entries(declared)) {
      if (decl.default === undefined) at(`rule parameter "${p}" needs a default: detect runs rules without parameters`, '/parameters', p);
    }
  }

  if (def.correlation) {
    const c = def.correlation;
    plan.kind = c.type;
    plan.spanMs = durationMs(c.timespan);
    plan.groupBy = groupFields(c['group-by'], '/correlation/group-by');
    if (c.type === 'event_count' || c.type === 'value_count') {
      if (!('condition' in c) || c.condition === undefined) at(`${c.type} needs a condition such as { gte: 5 }`, '/correlation');
      else plan.threshold = c.condition;
      if ('steps' in c && c.steps !== undefined) at(`steps belong to temporal correlations, not ${c.type}`, '/correlation', 'steps');
    }
    if (c.type === 'value_count') {
      if (c.field === undefined) at('value_count needs the field whose distinct values are counted', '/correlation');
      else plan.valueField = field(c.field, '/correlation', 'field');
    } else if ('field' in c && c.field !== undefined) at(`field belongs to value_count, not ${c.type}`, '/correlation', 'field');
    if (c.type === 'temporal' || c.type === 'temporal_ordered') {
      if (c.steps === undefined) at(`${c.type} needs steps: the selections that must all occur`, '/correlation');
      else plan.steps = c.steps.map((s, i) => step(s, `/correlation/steps/${i}`));
      if ('condition' in c && c.condition !== undefined) at(`${c.type} has no condition: every step must occur`, '/correlation', 'condition');
    }
  }
  if (def.new_terms) {
    const n = def.new_terms;
    plan.kind = 'new_terms';
    plan.groupBy = groupFields(n['group-by'], '/new_terms/group-by');
    plan.valueField = field(n.field, '/new_terms', 'field');
    plan.historyMs = durationMs(n.history);
    plan.threshold = n.condition ?? { gte: 1 };
  }
  if (def.baseline) {
    const b = def.baseline;
    plan.kind = 'baseline';
    plan.metric = b.metric;
    plan.groupBy = groupFields(b['group-by'], '/baseline/group-by');
    plan.spanMs = durationMs(b.timespan);
    plan.historyMs = durationMs(b.history);
    plan.factor = b.factor;
    plan.minCount = b['min-count'];
    plan.minHistory = b['min-history'] ?? 0;
    if (b.errors !== undefined) {
      if (b.metric !== 'error_rate') at('errors belongs to the error_rate metric', '/baseline', 'errors');
      plan.errors = step(b.errors, '/baseline/errors').predicate;
    } else if (b.metric === 'error_rate') {
      plan.errors = { kind: 'match', field: resolveField('outcome')!, op: 'eq', value: 'failure', cased: false };
    }
  }
  const hours = def['outside-hours'];
  if (hours) {
    const window: WorkingWindow = {
      days: hours.days.map((d) => WEEKDAYS.indexOf(d)).sort((a, b) => a - b),
      fromMin: clockMin(hours.from),
      toMin: clockMin(hours.to),
    };
    if (window.fromMin >= window.toMin)
      at(`outside-hours: from ${hours.from} must be before to ${hours.to} (a window across midnight is two windows)`, '/outside-hours', 'to');
    if (def.type === 'search') at('outside-hours belongs to detection rules, which always run over a closed time range', '/outside-hours');
    plan.outsideHours = window;
  }
  // Location is always a group: findings name where they come from, and events of two
  // locations are correlated only when the rule counts locations themselves.
  if (plan.kind !== 'events' && plan.valueField?.path !== LOCATION_FIELD.path && !plan.groupBy.some((g) => g.path === LOCATION_FIELD.path)) {
    plan.groupBy = [LOCATION_FIELD, ...plan.groupBy];
  }
  if (plan.valueField && plan.groupBy.some((g) => g.path === plan.valueField!.path))
    at(`"${plan.valueField.path}" is both counted and grouped by`, `/${blocks[0]}`, 'field');

  // Without a parsed condition every selection would look unused: that is one problem, not many.
  if (conditionParsed) for (const n of names) if (!usedSelections.has(n)) at(`selection "${n}" is used by neither the condition nor a step`, '/detection', n);
  for (const p of Object.keys(declared)) if (!used.has(p)) at(`parameter "${p}" is declared but never used`, '/parameters', p);
  for (const [i, f] of (def.fields ?? []).entries()) field(f, `/fields/${i}`);

  return { plan: issues.length === 0 ? plan : undefined, issues };
}
