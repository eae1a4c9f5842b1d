import type { PipelineKind } from '../config/pipeline-schema.js';
import { PRESETS } from '../config/presets.js';
import { compilePath } from '../config/value-source.js';
import { buildRequestEvent } from '../transforms/build/event.js';
import { classifyRequest, type ClassifyResult } from '../transforms/classify/classify.js';
import type { CompiledPipeline } from '../transforms/classify/compile-pipeline.js';
import type { BuiltRequest, FormatContext, FormatResult } from './format.js';

/**
 * Inputs that are not pino-http JSON (text access logs, Vault audit entries) reuse the route
 * classification and the event builder: the format writes what it knows into a record of the
 * pino-http preset's shape, and that record goes through classifyRequest / buildRequestEvent.
 */

/** What such an input knows about one request. */
export interface HttpRequestFacts {
  time: number;
  /** empty when the request line could not be read */
  method: string;
  /** path and query; empty as method */
  url: string;
  status: number;
  host?: string;
  remoteAddress?: string;
  userAgent?: string;
  requestId?: string;
  correlationId?: string;
  /** The authenticated principal, when the log names one. */
  initiator?: { id?: string; name?: string; type?: string; grantType?: string };
  errorMessage?: string;
}

/** A record in the pino-http preset's shape (config/presets.ts). */
export function presetRecordOf(f: HttpRequestFacts): Record<string, unknown> {
  const headers: Record<string, string> = {};
  if (f.host) headers.host = f.host;
  if (f.userAgent) headers['user-agent'] = f.userAgent;
  if (f.correlationId) headers['correlation-id'] = f.correlationId;
  const record: Record<string, unknown> = {
    time: f.time,
    // An unreadable request line leaves method and URL out: classification refuses it as missing_field.
    req: {
      ...(f.requestId ? { id: f.requestId } : {}),
      ...(f.method ? { method: f.method } : {}),
      ...(f.url ? { url: f.url } : {}),
      headers,
      ...(f.remoteAddress ? { remoteAddress: f.remoteAddress } : {}),
    },
    res: { statusCode: f.status },
  };
  const who = f.initiator;
  if (who && (who.id || who.name)) record.auth = { iamId: who.id ?? who.name, name: who.name ?? who.id, type: who.type, grantType: who.grantType };
  if (f.errorMessage) record.err = { message: f.errorMessage };
  return record;
}

const PRESET_FIELDS = Object.fromEntries(Object.entries(PRESETS['pino-http']).map(([name, path]) => [name, compilePath(path)])) as CompiledPipeline['field'];
const withPresetFields = new WeakMap<CompiledPipeline, CompiledPipeline>();
const byKind = new WeakMap<CompiledPipeline[], Map<PipelineKind, CompiledPipeline[]>>();

/** The loaded pipelines of one kind, read with the preset's field locations (memoised per pipeline list). */
export function pipelinesOfKind(pipelines: CompiledPipeline[], kind: PipelineKind): CompiledPipeline[] {
  let kinds = byKind.get(pipelines);
  if (!kinds) byKind.set(pipelines, (kinds = new Map()));
  let list = kinds.get(kind);
  if (!list) {
    list = pipelines
      .filter((p) => (p.config.kind ?? 'http') === kind)
      .map((p) => {
        let copy = withPresetFields.get(p);
        if (!copy) withPresetFields.set(p, (copy = { ...p, field: PRESET_FIELDS }));
        return copy;
      });
    kinds.set(kind, list);
  }
  return list;
}

/**
 * Host first, as for service logs. A line without a host (nginx combined) or with an unknown
 * one is claimed by the first pipeline with an explicit route or ignore rule for its method
 * and path, else by the first whose catch-all takes it.
 */
export function classifyWithoutHost(record: Record<string, unknown>, pipelines: CompiledPipeline[], forced: boolean): ClassifyResult {
  const direct = classifyRequest(record, pipelines, forced);
  if (direct.kind !== 'reject' || direct.code !== 'no_pipeline' || pipelines.length < 2) return direct;
  let fallback: ClassifyResult | undefined;
  for (const p of pipelines) {
    const r = classifyRequest(record, [p], true);
    if (r.kind === 'filtered' || (r.kind === 'classified' && r.entry.kind === 'route')) return r;
    // A request line that could not be read is refused for that, whichever pipeline looks at it.
    if (r.kind === 'classified' || (r.kind === 'reject' && r.code === 'missing_field')) fallback ??= r;
  }
  if (fallback) return fallback;
  const req = (record.req ?? {}) as { method?: unknown; url?: unknown };
  const path = typeof req.url === 'string' ? req.url.split('?')[0] : '';
  return { kind: 'reject', code: 'no_pipeline', reason: `no pipeline claims host "${hostOf(req)}" and none has a route for ${String(req.method)} ${path}` };
}

function hostOf(req: Record<string, unknown>): string {
  const headers = req.headers as Record<string, unknown> | undefined;
  return typeof headers?.host === 'string' ? headers.host : '';
}

/** Classifies a preset-shaped record, fills the pipeline's defaults where the input had nothing, and builds the event. */
export function buildFromPresetRecord(record: Record<string, unknown>, pipelines: CompiledPipeline[], ctx: FormatContext, format: string): FormatResult {
  if (pipelines.length === 0) return { kind: 'reject', code: 'no_pipeline', reason: `no pipeline loaded for the ${format} format` };
  const c = classifyWithoutHost(record, pipelines, ctx.forcedPipeline);
  if (c.kind !== 'classified') return c;
  const defaults = c.pipeline.config.defaults;
  // Instance and account feed only values the build composes; an initiator copied from the defaults was never redacted.
  let built: BuiltRequest = 'from-record';
  if (defaults) {
    if (!c.facts.instance && defaults.instance) c.facts.instance = defaults.instance;
    if (!c.facts.account && defaults.account) c.facts.account = defaults.account;
    if (record.auth === undefined && (defaults.initiatorId || defaults.initiatorName)) {
      record.auth = { iamId: defaults.initiatorId ?? '', name: defaults.initiatorName ?? '', type: defaults.principalType };
      built = 'with-defaults';
    }
  }
  return { kind: 'event', event: buildRequestEvent(c, ctx.ids, { source: ctx.source, line: ctx.line, format, keyId: ctx.keyId }), built };
}
