import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LineOutcome } from '../../src/run/engine.js';
import { bulkAnswer, parseBulk, rawRecordOf, toLineBatches, type BulkOp } from '../../src/server/bulk.js';
import { HttpError } from '../../src/server/http-error.js';
import { fuzzParams } from './runs.js';

/** A document row: any text without a newline (a newline ends the row, as in Elasticsearch). */
const docText = fc.string({ maxLength: 80 }).map((s) => s.replaceAll('\n', ' ').replaceAll('\r', ' '));
const name = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'), minLength: 1, maxLength: 12 });

interface GeneratedAction {
  op: BulkOp;
  index?: string;
  id?: string | number;
  doc?: string;
}

const action: fc.Arbitrary<GeneratedAction> = fc
  .record({
    op: fc.constantFrom<BulkOp>('index', 'create', 'update', 'delete'),
    index: fc.option(name, { nil: undefined }),
    id: fc.option(fc.oneof(name, fc.nat()), { nil: undefined }),
    doc: docText,
  })
  .map((a) => (a.op === 'delete' ? { ...a, doc: undefined } : a));

function serialise(actions: readonly GeneratedAction[], eol: string): string {
  return actions
    .map((a) => {
      const meta: Record<string, unknown> = {};
      if (a.index !== undefined) meta._index = a.index;
      if (a.id !== undefined) meta._id = a.id;
      return `${JSON.stringify({ [a.op]: meta })}${eol}${a.doc === undefined ? '' : `${a.doc}${eol}`}`;
    })
    .join('');
}

describe('the bulk body parser (property)', () => {
  it('gives back every action in order, with its index, id and document, whatever the line ends', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 20 }), fc.constantFrom('\n', '\r\n'), name, (actions, eol, fallback) => {
        const parsed = parseBulk(serialise(actions, eol), fallback);
        expect(parsed.actions.map((a) => [a.op, a.index, a.id])).toEqual(
          actions.map((a) => [a.op, a.index ?? fallback, a.id === undefined ? undefined : String(a.id)]),
        );
        const withDocs = actions.filter((a) => a.op === 'index' || a.op === 'create');
        // A document row keeps its text; only a carriage return before the newline is the line end's.
        expect(parsed.docs).toEqual(withDocs.map((a) => a.doc));
        let line = 0;
        for (const a of parsed.actions) expect(a.line).toBe(a.op === 'index' || a.op === 'create' ? ++line : undefined);
      }),
      fuzzParams(400),
    );
  });

  it('refuses anything else with an HttpError of status 400, never another exception', () => {
    const noise = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(fc.oneof(fc.json(), docText), { maxLength: 8 }).map((rows) => rows.join('\n')),
      fc.array(action, { minLength: 1, maxLength: 6 }).chain((as) =>
        fc.tuple(fc.nat(), fc.string({ maxLength: 6 })).map(([at, ins]) => {
          const body = serialise(as, '\n');
          const i = at % (body.length + 1);
          return body.slice(0, i) + ins + body.slice(i + 1);
        }),
      ),
    );
    fc.assert(
      fc.property(noise, fc.option(name, { nil: undefined }), (body, fallback) => {
        try {
          const parsed = parseBulk(body, fallback);
          expect(parsed.actions.length).toBeGreaterThan(0);
          expect(parsed.docs.length).toBe(parsed.actions.filter((a) => a.line !== undefined).length);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpError);
          expect((e as HttpError).status).toBe(400);
        }
      }),
      fuzzParams(500),
    );
  });

  it('answers one item per action, in order, and never reports errors:false with an item that failed', () => {
    const outcome: fc.Arbitrary<LineOutcome> = fc.oneof(
      fc.uuid().map((eventId): LineOutcome => ({ status: 'indexed', eventId }) as LineOutcome),
      fc.uuid().map((eventId): LineOutcome => ({ status: 'duplicate', eventId }) as LineOutcome),
      fc.constant({ status: 'filtered' } as LineOutcome),
      fc
        .tuple(fc.constantFrom('malformed_json', 'unclassified'), fc.string({ maxLength: 400 }))
        .map(([code, reason]) => ({ status: 'dead_lettered', code, reason }) as LineOutcome),
    );
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 20 }), fc.array(outcome, { minLength: 20, maxLength: 20 }), (actions, outcomes) => {
        const parsed = parseBulk(serialise(actions, '\n'), 'logs');
        const text = bulkAnswer(parsed.actions, outcomes, 1);
        const answer = JSON.parse(text) as { errors: boolean; items: Record<string, { status: number }>[] };
        expect(answer.items.map((i) => Object.keys(i)[0])).toEqual(parsed.actions.map((a) => a.op));
        const failed = answer.items.some((i) => Object.values(i)[0]!.status >= 400);
        expect(answer.errors).toBe(failed);
        expect(text).toContain(`"errors":${failed},"items":[`);
      }),
      fuzzParams(300),
    );
  });

  it('takes the raw record out of a message or log field only when it is a JSON object, and never throws', () => {
    const inner = fc.dictionary(name, fc.jsonValue(), { maxKeys: 5 });
    fc.assert(
      fc.property(inner, fc.constantFrom('message', 'log'), fc.dictionary(name, fc.jsonValue(), { maxKeys: 3 }), (record, field, extra) => {
        const text = JSON.stringify(record);
        const doc = JSON.stringify({ ...extra, [field]: ` ${text} ` });
        const raw = rawRecordOf(doc);
        // A pino-http record (it has req) is taken as it is, whatever else the shipper added.
        if ('req' in extra) expect(raw).toBe(doc);
        else expect(raw).toBe(text);
      }),
      fuzzParams(300),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json()), (doc) => {
        const raw = rawRecordOf(doc);
        // The document itself, or the JSON object its message held.
        if (raw !== doc) {
          const inner = JSON.parse(raw) as unknown;
          expect(typeof inner === 'object' && inner !== null && !Array.isArray(inner)).toBe(true);
        }
      }),
      fuzzParams(300),
    );
  });

  it('cuts records into batches that keep every record once, numbered in order, oversized ones by their size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 8, max: 120 }),
        (records, batchLines, max) => {
          const batches = toLineBatches('s', [...records], max, batchLines);
          let next = 1;
          const seen: string[] = [];
          for (const b of batches) {
            expect(b.firstLine).toBe(next);
            expect(b.lines.length).toBeLessThanOrEqual(batchLines);
            const over = new Map(b.oversized.map((o) => [o.index, o]));
            b.lines.forEach((l, i) => seen.push(over.has(i) ? `#${over.get(i)!.bytes}` : l));
            next += b.lines.length;
          }
          expect(seen).toEqual(records.map((r) => (Buffer.byteLength(r) > max ? `#${Buffer.byteLength(r)}` : r)));
        },
      ),
      fuzzParams(300),
    );
  });
});
