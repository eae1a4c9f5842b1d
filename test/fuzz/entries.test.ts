import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds, type SourceCounts } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { deepArray, deepObject, REAL } from '../hostile/cases.js';
import { BEARER, startTestServer, type TestServer } from '../server/helpers.js';
import { fuzzParams } from './runs.js';

/** Small, so that generated lines cross it. */
const MAX_LINE_BYTES = 4096;
/** Past the redaction walk's 256 levels, cheap to generate. */
const TOO_DEEP = 300;
const NDJSON = { ...BEARER, 'content-type': 'application/x-ndjson' };

/** Every kind of line an entry may get: real, changed, garbage, blank, not an object, too deep, too long. */
const line = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...REAL) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...REAL), fc.string({ maxLength: 8 }))
      .map(([l, tag]) => l.replace('"id":"', `"id":"${JSON.stringify(tag).slice(1, -1)}`)),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => s.replaceAll('\n', ' ')) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t', 'null', '[]', '42', '"text"', '{', '{"a":1}') },
  { weight: 1, arbitrary: fc.constantFrom(deepObject(TOO_DEEP), deepArray(TOO_DEEP)) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_LINE_BYTES + 1, max: 3 * MAX_LINE_BYTES }).map((n) => `{"pad":"${'x'.repeat(n)}"}`) },
);
const lines = fc.array(line, { minLength: 1, maxLength: 25 });

function expectAccounted(what: string, counts: SourceCounts, sent: number): void {
  expect(accountingHolds(counts), `${what}: ${JSON.stringify(counts)}`).toBe(true);
  expect(counts.linesRead, what).toBe(sent);
}

let server: TestServer;
let serverDir: string;
beforeAll(async () => {
  // Not tempDir(): that one is emptied after each test, and this server lives for the whole file.
  serverDir = mkdtempSync(join(tmpdir(), 'auditline-fuzz-serve-'));
  server = await startTestServer({ dir: serverDir, limits: { maxLineBytes: MAX_LINE_BYTES } });
});
afterAll(async () => {
  await server.close();
  rmSync(serverDir, { recursive: true, force: true });
});

describe('lines in = stored + duplicates + dead-lettered + filtered, at every entry (property)', () => {
  it('files, .gz files and stdin', async () => {
    await fc.assert(
      fc.asyncProperty(lines, fc.boolean(), async (ls, crlf) => {
        const dir = tempDir();
        const text = `${ls.join(crlf ? '\r\n' : '\n')}\n`;
        writeFileSync(join(dir, 'a.ndjson'), text);
        writeFileSync(join(dir, 'b.ndjson.gz'), gzipSync(text));
        const files = await runIngest({
          paths: [join(dir, 'a.ndjson'), join(dir, 'b.ndjson.gz')],
          dataDir: dir,
          env: TEST_ENV,
          workers: 0,
          maxLineBytes: MAX_LINE_BYTES,
        });
        expectAccounted('file', files.sources[join(dir, 'a.ndjson')]!, ls.length);
        expectAccounted('gzip', files.sources[join(dir, 'b.ndjson.gz')]!, ls.length);
        const stdin = await runIngest({
          paths: ['-'],
          stdin: Readable.from([Buffer.from(text)]),
          dataDir: dir,
          env: TEST_ENV,
          workers: 0,
          maxLineBytes: MAX_LINE_BYTES,
        });
        expectAccounted('stdin', stdin, ls.length);
        // The same lines again: every event is now a duplicate, none is stored twice.
        expect(stdin.eventsIndexed).toBe(0);
      }),
      fuzzParams(8, 200),
    );
  });

  it('/v1/ingest as lines and as a JSON array, and /_bulk', async () => {
    await fc.assert(
      fc.asyncProperty(lines, async (ls) => {
        const body = `${ls.join('\n')}\n`;
        const answer = (await (await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body })).json()) as SourceCounts;
        expectAccounted('/v1/ingest', answer, ls.length);

        // As an array, each line that is JSON is one element; the others are left out.
        const elements = ls.filter((l) => {
          try {
            JSON.parse(l);
            return l.trim() !== '';
          } catch {
            return false;
          }
        });
        const array = (await (
          await fetch(`${server.url}/v1/ingest`, {
            method: 'POST',
            headers: { ...BEARER, 'content-type': 'application/json' },
            body: `[${elements.join(',')}]`,
          })
        ).json()) as SourceCounts;
        expect(accountingHolds(array)).toBe(true);
        expect(array.linesRead).toBe(elements.length);

        const bulk = await fetch(`${server.url}/_bulk`, {
          method: 'POST',
          headers: NDJSON,
          body: ls.map((l) => `{"create":{"_index":"logs"}}\n${l}\n`).join(''),
        });
        expect(bulk.status).toBe(200);
        const items = ((await bulk.json()) as { items: { create: { status: number } }[] }).items;
        expect(items).toHaveLength(ls.length);
        for (const i of items) expect([200, 201, 400]).toContain(i.create.status);
      }),
      fuzzParams(25, 100),
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const total = (outcome: string) =>
      [...metrics.matchAll(/^auditline_lines_total\{route="[^"]+",outcome="(\w+)"\} (\d+)$/gm)]
        .filter((m) => m[1] === outcome)
        .reduce((n, m) => n + Number(m[2]), 0);
    const received = [...metrics.matchAll(/^auditline_lines_received_total\{route="[^"]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    // Across every request of the property: what the server received is what it accounted for.
    expect(total('indexed') + total('duplicate') + total('dead_lettered') + total('filtered')).toBe(received);
  });
});

const base64url = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: n, maxLength: n });
const secret = fc.oneof(
  fc.tuple(base64url(30), base64url(50), base64url(43)).map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), minLength: 16, maxLength: 16 }).map((s) => `AKIA${s}`),
  base64url(44),
  fc.stringMatching(/^[A-Za-z0-9!#%&*+]{12,24}$/).map((s) => `Pw_${s}`),
);

/** Where a secret goes in a real record: a header, the query string, a body, an error text, deep in a list. */
type Place = 'authorization' | 'query' | 'body' | 'error' | 'nested' | 'cookie';
const place = fc.constantFrom<Place>('authorization', 'query', 'body', 'error', 'nested', 'cookie');

function planted(realLine: string, value: string, where: Place, tag: number): string {
  const record = JSON.parse(realLine) as { req: { url: string; id: string; headers: Record<string, string> } } & Record<string, unknown>;
  record.req.id = `r-secret-${tag}`;
  switch (where) {
    case 'authorization':
      record.req.headers.authorization = `Bearer ${value}`;
      break;
    case 'query':
      record.req.url = `${record.req.url}${record.req.url.includes('?') ? '&' : '?'}apikey=${encodeURIComponent(value)}`;
      break;
    case 'body':
      record.body = { plaintext: value };
      break;
    case 'error':
      record.err = { message: `upstream said password=${value} was rejected` };
      break;
    case 'nested':
      record.body = { nested: [{ credentials: { client_secret: value } }] };
      break;
    case 'cookie':
      record.req.headers.cookie = `session=${value}; theme=dark`;
  }
  return JSON.stringify(record);
}

describe('no secret leaves serve, whatever the route, the position or the line (property)', () => {
  it('in answers, the store (read back through /api/events), the dead-letter file and the metrics', async () => {
    let tag = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(secret, place, fc.constantFrom(...REAL), fc.constantFrom('whole', 'cut', 'wrapped')), { minLength: 1, maxLength: 8 }),
        async (plants) => {
          const docs = plants.map(([value, where, real, form]) => {
            const l = planted(real, value, where, tag++);
            // A cut line is dead-lettered and redacted as text; a wrapped one comes as a shipper's message field.
            return form === 'cut' ? l.slice(0, -2) : form === 'wrapped' ? JSON.stringify({ message: l, host: { name: 'h' } }) : l;
          });
          const answers = [
            await (
              await fetch(`${server.url}/_bulk`, { method: 'POST', headers: NDJSON, body: docs.map((d) => `{"create":{"_index":"logs"}}\n${d}\n`).join('') })
            ).text(),
            await (await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: NDJSON, body: `${docs.join('\n')}\n` })).text(),
          ];
          const stored = await (await fetch(`${server.url}/api/events`, { headers: BEARER })).text();
          // The store is read: the whole ones of these lines are in it.
          if (plants.some(([, , , form]) => form !== 'cut')) expect(stored).toContain('"eventTime"');
          const outputs = [
            ...answers,
            stored,
            existsSync(server.dlq) ? readFileSync(server.dlq, 'utf8') : '',
            await (await fetch(`${server.url}/metrics`)).text(),
          ].join('\n');
          for (const [value] of plants) expect(outputs).not.toContain(value);
        },
      ),
      fuzzParams(15, 200),
    );
  });
});
