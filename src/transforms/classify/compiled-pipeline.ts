import type { LoadedPipeline } from '../../config/load-pipeline.js';
import { FIELD_NAMES, type FieldName, type PipelineConfig, type Severity } from '../../config/pipeline-schema.js';
import { PRESETS } from '../../config/presets.js';
import { compilePath, compileValueSource, type FactGetter, type PathGetter } from '../../config/value-source.js';
import { buildRouteTable, type RouteTable } from './route-table.js';

/**
 * A pipeline file turned into the functions the transform calls: built once per process (and per
 * worker). Compiling lives beside the classifier that uses it, so configuration stays loading and
 * validating only and the route table is compiled in one place. This module does not load pipeline
 * files (compile-pipeline.ts does): a worker thread compiles the configurations the main thread
 * loaded, without YAML, ajv or the files (~0.3 s of CPU per thread start).
 */
export interface CompiledPipeline {
  name: string;
  file: string;
  config: PipelineConfig;
  routes: RouteTable;
  /** Location (and instance, for hosts that carry it) from the Host header; undefined when no pattern matches. */
  matchHost(host: string): { location: string; instance?: string } | undefined;
  field: Record<FieldName, PathGetter>;
  severityOf(action: string, status: number): Severity;
  /** Current name of an action (legacy names mapped through the alias table). */
  canonicalAction(action: string): string;
  isDataEvent(action: string): boolean;
  requestData: [string, FactGetter][];
  responseData: [string, FactGetter][];
}

export function compilePipeline(loaded: LoadedPipeline): CompiledPipeline {
  const { config } = loaded;
  const hostPatterns = config.location.hosts.map((p) => new RegExp(p));
  const preset = PRESETS[config.input];
  const field = Object.fromEntries(FIELD_NAMES.map((name) => [name, compilePath(config.fields?.[name] ?? preset[name])])) as Record<FieldName, PathGetter>;

  const actionSeverity = new Map<string, Severity>();
  for (const [severity, actions] of Object.entries(config.severity.actions) as [Severity, string[]][]) {
    for (const action of actions) actionSeverity.set(action, severity);
  }
  const statusSeverity = new Map(Object.entries(config.severity.status).map(([code, sev]) => [Number(code), sev]));
  const aliases = new Map(Object.entries(config.aliases));
  const dataEvents = new Set(config.dataEvents);

  return {
    name: config.name,
    file: loaded.file,
    config,
    routes: buildRouteTable(loaded),
    matchHost(host) {
      for (const pattern of hostPatterns) {
        const m = pattern.exec(host);
        if (m) return { location: m.groups?.location ?? config.location.default, instance: m.groups?.instance };
      }
      return undefined;
    },
    field,
    // The status table overrides the action's own severity, as Activity Tracker's guideline says.
    severityOf: (action, status) => statusSeverity.get(status) ?? actionSeverity.get(action) ?? config.severity.default,
    canonicalAction: (action) => aliases.get(action) ?? action,
    isDataEvent: (action) => dataEvents.has(action),
    requestData: Object.entries(config.requestData).map(([name, src]) => [name, compileValueSource(src)]),
    responseData: Object.entries(config.responseData).map(([name, src]) => [name, compileValueSource(src)]),
  };
}

/**
 * A configuration the main thread loaded and compiled already (worker-pool.ts `WorkerInit`): its
 * checks passed there, so no error needs a line number of the file here.
 */
export function compileLoadedConfig(file: string, config: PipelineConfig): CompiledPipeline {
  return compilePipeline({ file, config, lineOf: () => undefined });
}
