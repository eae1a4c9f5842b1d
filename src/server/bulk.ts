import type { LineOutcome } from '../run/engine.js';
import type { LineBatch, OversizedLine } from '../sources/lines.js';
import { DEFAULT_BATCH_LINES, oversizedHead } from '../sources/lines.js';
import { HttpError } from './http-error.js';

/**
 * The Elasticsearch `_bulk` body, read the way shippers write it: an action line, then (for
 * `index` and `create`) the document on the next line. Pure: text in, actions and line batches out.
 */

export type BulkOp = 'index' | 'create' | 'update' | 'delete';
const OPS: ReadonlySet<string> = new Set<BulkOp>(['index', 'create', 'update', 'delete']);

export interface BulkAction {
  op: BulkOp;
  index: string;
  /** `_id` as the shipper sent it, echoed in the answer; without one, the answer gives the id the event is stored under. */
  id?: string;
  /** 1-based line of the request's documents this action's document became; absent for refused actions. */
  line?: number;
}

export interface ParsedBulk {
  actions: BulkAction[];
  /** Documents of `index`/`create` actions, in order: line n is `docs[n - 1]`. */
  docs: string[];
}

/** Audit events are immutable: a shipper asking to change or remove one gets a per-item 400. */
const REFUSED_REASON: Record<'update' | 'delete', string> = {
  update: 'audit events are immutable: update is not supported',
  delete: 'audit events are immutable: delete is not supported',
};

/**
 * Splits a bulk body into actions and their documents. A malformed action line fails the whole
 * request with 400, as Elasticsearch does: nothing in it can be matched to an item any more.
 */
export function parseBulk(body: string, defaultIndex: string | undefined): ParsedBulk {
  const actions: BulkAction[] = [];
  const docs: string[] = [];
  const rows = body.split('\n');
  let i = 0;
  const next = (): string | undefined => {
    while (i < rows.length) {
      const row = trimCr(rows[i++]!);
      if (row.trim() !== '') return row;
    }
    return undefined;
  };
  // A document is the very next row, even a blank one (a blank line is counted as filtered); only the
  // empty string after the body's final newline is no document.
  const documentRow = (): string | undefined => {
    if (i >= rows.length || (i === rows.length - 1 && rows[i] === '')) return undefined;
    return trimCr(rows[i++]!);
  };
  for (let row = next(); row !== undefined; row = next()) {
    const lineNo = i;
    const { op, meta } = actionOf(row, lineNo);
    const index = typeof meta._index === 'string' ? meta._index : defaultIndex;
    if (index === undefined) throw new HttpError(400, 'action_request_validation_exception', `line ${lineNo}: index is missing`);
    const action: BulkAction = { op, index };
    if (typeof meta._id === 'string' || typeof meta._id === 'number') action.id = String(meta._id);
    if (op !== 'delete') {
      const doc = documentRow();
      if (doc === undefined) throw new HttpError(400, 'illegal_argument_exception', `line ${lineNo}: ${op} action without a document`);
      if (op !== 'update') {
        docs.push(doc);
        action.line = docs.length;
      }
    }
    actions.push(action);
  }
  if (actions.length === 0) throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  return { actions, docs };
}

function trimCr(row: string): string {
  return row.endsWith('\r') ? row.slice(0, -1) : row;
}

function actionOf(row: string, lineNo: number): { op: BulkOp; meta: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row);
  } catch {
    throw new HttpError(400, 'x_content_parse_exception', `line ${lineNo}: the action line is not JSON`);
  }
  const keys = isObject(parsed) ? Object.keys(parsed) : [];
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !OPS.has(op)) {
    throw new HttpError(400, 'illegal_argument_exception', `line ${lineNo}: expected one of index, create, update, delete`);
  }
  const meta = (parsed as Record<string, unknown>)[op];
  return { op: op as BulkOp, meta: isObject(meta) ? meta : {} };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Shippers that read a log file without decoding it send each line as a string field: `message`
 * (Filebeat, Logstash, Vector, rsyslog and syslog-ng templates) or `log` (Fluent Bit's tail).
 * When that string is itself a JSON object, it is the raw record: taking it gives the event the
 * same id as `auditline ingest` of the same file, so a line sent both ways is stored once.
 */
const WRAPPED = /"(?:message|log)"\s*:\s*"\s*\{/;

export function rawRecordOf(doc: string): string {
  if (!WRAPPED.test(doc)) return doc;
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return doc;
  }
  if (!isObject(parsed) || 'req' in parsed) return doc;
  for (const field of ['message', 'log']) {
    const inner = parsed[field];
    if (typeof inner !== 'string') continue;
    const text = inner.trim();
    if (!text.startsWith('{')) continue;
    try {
      if (isObject(JSON.parse(text))) return text;
    } catch {
      // Not JSON after all: the document itself is the record.
    }
  }
  return doc;
}

/**
 * Cuts a request's records into the engine's line batches (numbered from 1 across the request).
 * A record over `maxLineBytes` keeps only its head, as a file line would, and is dead-lettered.
 */
export function toLineBatches(source: string, records: readonly string[], maxLineBytes: number, batchLines = DEFAULT_BATCH_LINES): LineBatch[] {
  const batches: LineBatch[] = [];
  for (let start = 0; start < records.length; start += batchLines) {
    const lines = records.slice(start, start + batchLines);
    const oversized: OversizedLine[] = [];
    for (let j = 0; j < lines.length; j++) {
      const line = lines[j]!;
      // Characters bound bytes from below and by 3x from above (UTF-16 vs UTF-8): count bytes only when it matters.
      if (line.length * 3 > maxLineBytes && Buffer.byteLength(line) > maxLineBytes) {
        oversized.push({ index: j, bytes: Buffer.byteLength(line), head: oversizedHead(line, maxLineBytes) });
        lines[j] = '';
      }
    }
    batches.push({ source, firstLine: start + 1, lines, oversized });
  }
  return batches;
}

/** The longest `error.reason` put in an item: the full reason is in the dead-letter file. */
const MAX_ITEM_REASON = 256;

/**
 * The bulk answer, compact, with `errors` right before `items` (Vector and Fluent Bit search
 * the text for `"errors":true` / `"errors":false,"items":[`). 201 stored, 200 already stored
 * (never 409: Fluent Bit resends an all-409 answer forever), 200 `noop` for a line the pipeline
 * ignores on purpose (a health check), 400 for a line dead-lettered or an action refused.
 */
export function bulkAnswer(actions: readonly BulkAction[], outcomes: readonly LineOutcome[], tookMs: number): string {
  let errors = false;
  const items = actions.map((a) => {
    const outcome = a.line === undefined ? undefined : outcomes[a.line - 1];
    // As Elasticsearch: the id the shipper sent, else the one the event is stored under.
    const id = a.id ?? (outcome?.status === 'indexed' || outcome?.status === 'duplicate' ? outcome.eventId : undefined);
    const head = `{"_index":${JSON.stringify(a.index)}${id === undefined ? '' : `,"_id":${JSON.stringify(id)}`}`;
    if (a.line === undefined) {
      errors = true;
      return `{"${a.op}":${head},"status":400,"error":{"type":"action_request_validation_exception","reason":${JSON.stringify(REFUSED_REASON[a.op as 'update' | 'delete'])}}}}`;
    }
    switch (outcome?.status) {
      case 'indexed':
        return `{"${a.op}":${head},"status":201,"result":"created"}}`;
      case 'duplicate':
        return `{"${a.op}":${head},"status":200,"result":"noop"}}`;
      case 'filtered':
        return `{"${a.op}":${head},"status":200,"result":"noop"}}`;
      case 'dead_lettered': {
        errors = true;
        const reason = outcome.reason.length > MAX_ITEM_REASON ? `${outcome.reason.slice(0, MAX_ITEM_REASON)}…` : outcome.reason;
        return `{"${a.op}":${head},"status":400,"error":{"type":${JSON.stringify(outcome.code)},"reason":${JSON.stringify(reason)}}}}`;
      }
      default:
        // The engine answers every line it was given; a gap is a bug, and a 2xx here would lose the line.
        throw new Error(`no outcome for bulk line ${a.line}`);
    }
  });
  return `{"took":${Math.round(tookMs)},"errors":${errors},"items":[${items.join(',')}]}`;
}
