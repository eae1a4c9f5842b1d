import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { openStoreReader } from '../../src/sinks/duckdb/read.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';

/**
 * Invariant 2 end to end: secrets planted in raw lines (headers, query strings, bodies, error
 * text; in lines that become events and in lines that are dead-lettered) appear in no output:
 * the store, NDJSON files, the dead-letter file or the summary. Identifiers survive.
 */
const base64url = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: n, maxLength: n });
const alnumUpper = (n: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), minLength: n, maxLength: n });

const secretArb = fc.oneof(
  fc.tuple(base64url(40), base64url(60), base64url(43)).map(([a, b, c]) => ({ kind: 'jwt', value: `eyJ${a}.eyJ${b}.${c}` })),
  alnumUpper(16).map((s) => ({ kind: 'aws', value: `AKIA${s}` })),
  base64url(44).map((s) => ({ kind: 'ibm-api-key', value: s })),
  fc.stringMatching(/^[A-Za-z0-9!#%&*+]{12,24}$/).map((s) => ({ kind: 'password', value: `Pw_${s}` })),
);

const uuid = fc.uuid({ version: 4 });
type Plant = [secret: { kind: string; value: string }, keyId: string, correlation: string, truncate: boolean];
const ZERO_UUID = '00000000-0000-4000-8000-000000000000';

function rawLine(secret: { kind: string; value: string }, place: number, keyId: string, correlation: string): string {
  const headers: Record<string, string> = {
    host: 'eu-de.kms.cloud.ibm.com',
    'bluemix-instance': '0d86b31a-5b37-4305-8760-7683d356d1b2',
    'correlation-id': correlation,
  };
  let url = `/api/v2/keys/${keyId}/actions/unwrap`;
  const record: Record<string, unknown> = {
    time: 1763683200000 + place,
    req: { id: 'r-1', method: 'POST', url, headers, remoteAddress: '203.0.113.7' },
    res: { statusCode: place % 2 ? 200 : 401 },
    auth: { iamId: 'IBMid-270003GUSX', name: 'alice@example.com', type: 'user', grantType: 'apikey' },
    account: 'b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21',
  };
  switch (place % 5) {
    case 0:
      headers.authorization = `Bearer ${secret.value}`;
      break;
    case 1:
      url = `${url}?apikey=${encodeURIComponent(secret.value)}`;
      (record.req as { url: string }).url = url;
      break;
    case 2:
      record.body = { plaintext: secret.value, aad: ['x'] };
      break;
    case 3:
      record.err = { message: `upstream said password=${secret.value} was rejected` };
      break;
    default:
      record.body = { nested: [{ credentials: { client_secret: secret.value } }] };
  }
  return JSON.stringify(record);
}

describe('no secret persists (whole pipeline, every sink)', () => {
  it('keeps every planted secret out of the store, NDJSON, the dead-letter file and the summary', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(secretArb, uuid, uuid, fc.boolean()), { minLength: 5, maxLength: 15 }), async (plants) => {
        const dir = tempDir();
        const input = join(dir, 'in.ndjson');
        const lines = plants.map(([secret, keyId, corr, truncate], i) => {
          const line = rawLine(secret, i, keyId, corr);
          // A truncated line cannot be parsed: it is redacted as text for the dead-letter file.
          return truncate ? line.slice(0, line.length - 3) : line;
        });
        writeFileSync(input, `${lines.join('\n')}\n`);
        const summary = await runIngest({ paths: [input], dataDir: join(dir, 'data'), env: TEST_ENV });
        const ndjson = await runIngest({ paths: [input], dataDir: join(dir, 'data2'), out: join(dir, 'out'), env: TEST_ENV });

        const reader = await openStoreReader(join(dir, 'data', 'auditline.duckdb'));
        const stored: string[] = [];
        for await (const rows of reader.events({})) stored.push(...rows);
        reader.close();
        const outputs = [
          stored.join('\n'),
          readFileSync(join(dir, 'data', 'dead-letter.ndjson'), 'utf8'),
          readFileSync(join(dir, 'data2', 'dead-letter.ndjson'), 'utf8'),
          JSON.stringify(summary),
          JSON.stringify(ndjson),
          readdirSync(join(dir, 'out'), { recursive: true, withFileTypes: true })
            .filter((d) => d.isFile())
            .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))
            .join('\n'),
        ].join('\n');
        for (const [secret] of plants) expect(outputs).not.toContain(secret.value);
        // Identifiers analysts need are kept as they are.
        const kept = stored.join('\n');
        plants.forEach(([, keyId, corr, truncate]) => {
          if (truncate) return;
          expect(kept).toContain(keyId);
          expect(kept).toContain(corr);
        });
        expect(summary.linesRead).toBe(plants.length);
      }),
      // Pinned: every line truncated, so nothing is indexed and the NDJSON directory holds no file
      // (found by this property in CI: the directory was not made then).
      { numRuns: 12, examples: [[[0, 1, 2, 3, 4].map((i): Plant => [{ kind: 'password', value: `Pw_${'#&*A'.repeat(3)}${i}` }, ZERO_UUID, ZERO_UUID, true])]] },
    );
  });
});
