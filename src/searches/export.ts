import { AuditlineError } from '../errors.js';
import { INDEX_PATTERN, streamName } from '../sinks/elasticsearch/templates.js';
import { compileDsl, predicateDsl, type JsonObject } from './compile-dsl.js';
import { compileEsql } from './compile-esql.js';
import { compileSql } from './compile-sql.js';
import { tableOf } from '../sinks/duckdb/schema.js';
import { DEFAULT_EVENT_FIELDS } from './output.js';
import type { Plan } from './plan.js';
import { resolveField } from './fields.js';

/**
 * A search written for another tool: DuckDB SQL and Elasticsearch DSL as the backends run them
 * (with their bound values beside the text), ES|QL as a `_query` request body with `params`, and
 * a Kibana saved search with the data view it references, as importable saved-objects NDJSON.
 */
export const EXPORT_TARGETS = ['kibana', 'esql', 'sql', 'dsl'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportRange {
  location?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Locations of the SQL's UNION ALL when no single location is asked for */
  locations?: readonly string[];
}

/** The data view every exported saved search references: every location's data stream. */
export const DATA_VIEW_ID = 'auditline-events';

export function exportSearch(plan: Plan, to: ExportTarget, range: ExportRange): string {
  const rule = plan.kind !== 'events';
  const sinceMs = range.sinceMs ?? (rule ? Date.now() - 86_400_000 : undefined);
  const untilMs = range.untilMs ?? (rule ? Date.now() : undefined);
  switch (to) {
    case 'sql': {
      const locations = range.location !== undefined ? [range.location] : (range.locations ?? []);
      if (locations.length === 0)
        throw new AuditlineError('AL_SEARCH_EXPORT', 'SQL runs over the tables of locations: give --location, or a --store holding some');
      return `${JSON.stringify(compileSql(plan, { tables: locations.map(tableOf), sinceMs, untilMs }), null, 2)}\n`;
    }
    case 'dsl':
      return `${JSON.stringify(compileDsl(plan, { location: range.location, sinceMs, untilMs }), null, 2)}\n`;
    case 'esql':
      return `${JSON.stringify(compileEsql(plan, { location: range.location, sinceMs, untilMs }), null, 2)}\n`;
    case 'kibana':
      return kibanaSavedObjects(plan, range.location);
  }
}

/**
 * A saved search (type `search`) holding the search's filter as a custom Query DSL filter, so
 * Kibana matches exactly what auditline does, and the data view it references. Kibana saved
 * searches hold queries, not aggregations: correlation, new-terms and baseline rules are refused.
 */
export function kibanaSavedObjects(plan: Plan, location: string | undefined): string {
  if (plan.kind !== 'events')
    throw new AuditlineError('AL_SEARCH_EXPORT', `${plan.name} is a ${plan.kind} rule; a Kibana saved search holds a query only (use --to dsl or --to esql)`);
  if (plan.outsideHours)
    throw new AuditlineError(
      'AL_SEARCH_EXPORT',
      `${plan.name} keeps to events outside working hours, which a saved search cannot hold (use --to dsl or --to esql)`,
    );
  const def = plan.definition;
  const dataViewId = location === undefined ? DATA_VIEW_ID : `${DATA_VIEW_ID}-${location}`;
  const dataView = {
    id: dataViewId,
    type: 'index-pattern',
    attributes: {
      title: location === undefined ? INDEX_PATTERN : streamName(location),
      name: location === undefined ? 'auditline events' : `auditline events (${location})`,
      timeFieldName: '@timestamp',
    },
    references: [],
  };
  const filterRef = 'kibanaSavedObjectMeta.searchSourceJSON.filter[0].meta.index';
  const dsl: JsonObject = predicateDsl(plan.filter);
  const searchSource = {
    query: { query: '', language: 'kuery' },
    filter: [
      {
        meta: { alias: def.title, negate: false, disabled: false, type: 'custom', key: 'query', value: JSON.stringify(dsl), indexRefName: filterRef },
        query: dsl,
        $state: { store: 'appState' },
      },
    ],
    indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
  };
  const search = {
    id: `auditline-${def.id}`,
    type: 'search',
    attributes: {
      title: def.title,
      description: def.description.trim(),
      columns: (def.fields ?? DEFAULT_EVENT_FIELDS).map((f) => resolveField(f)?.path ?? f),
      sort: [['@timestamp', 'asc']],
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify(searchSource) },
    },
    references: [
      { name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: dataViewId },
      { name: filterRef, type: 'index-pattern', id: dataViewId },
    ],
  };
  return `${JSON.stringify(dataView)}\n${JSON.stringify(search)}\n`;
}
