import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/run/ingest.js';
import { accountingHolds } from '../../src/run/summary.js';
import { tempDir, TEST_ENV } from '../helpers/env.js';
import { queryStore, tablesOf } from '../helpers/store.js';
import { insertAfter, PROTO_KEYS, REAL } from './cases.js';

/** Every own property of the built-in prototypes, with its descriptor: any change shows up here. */
function prototypes(): string {
  const snap = (o: object) => Object.getOwnPropertyNames(o).map((k) => `${k}:${typeof Object.getOwnPropertyDescriptor(o, k)?.value}`);
  return JSON.stringify([snap(Object.prototype), snap(Array.prototype), snap(Function.prototype), snap(String.prototype)]);
}

describe('__proto__, constructor and prototype keys', () => {
  it('pollute nothing in lines, .gz and JSON arrays, and the events are built as without them', async () => {
    const before = prototypes();
    const dir = tempDir();
    const plain = REAL.slice(0, 4);
    const hostile = [
      insertAfter(plain[0]!, '{', PROTO_KEYS),
      insertAfter(plain[1]!, '"req":{', PROTO_KEYS),
      insertAfter(plain[2]!, '"headers":{', PROTO_KEYS),
      insertAfter(plain[3]!, '{', `"list":[{${PROTO_KEYS.slice(0, -1)}}],`),
    ];
    writeFileSync(join(dir, 'lines.ndjson'), `${hostile.join('\n')}\n`);
    writeFileSync(join(dir, 'lines.ndjson.gz'), gzipSync(`${hostile.join('\n')}\n`));
    writeFileSync(join(dir, 'array.json'), `[${hostile.join(',')}]`);
    writeFileSync(join(dir, 'control.ndjson'), `${plain.join('\n')}\n`);
    const paths = ['lines.ndjson', 'lines.ndjson.gz', 'array.json', 'control.ndjson'].map((f) => join(dir, f));
    // On the main thread: pollution in a worker would not show in this process.
    const s = await runIngest({ paths, dataDir: join(dir, 'data'), env: TEST_ENV, workers: 0 });

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypes()).toBe(before);
    expect(accountingHolds(s)).toBe(true);
    expect(s.deadLettered).toBe(0);
    for (const p of paths) expect(s.sources[p]!.eventsIndexed + s.sources[p]!.duplicatesSkipped, p).toBe(4);

    // What was built from a hostile line is what was built from the same line without the keys.
    const store = join(dir, 'data', 'auditline.duckdb');
    const rows: { source: string; line: number; json: string }[] = [];
    for (const t of await tablesOf(store)) rows.push(...((await queryStore(store, `SELECT source, line, event::VARCHAR AS json FROM ${t}`)) as typeof rows));
    const meaning = (json: string) => {
      const e = JSON.parse(json) as Record<string, unknown>;
      return JSON.stringify([e.action, e.outcome, e.initiator, e.target, e.eventTime, e.requestData, e.responseData, e.reason, e.severity]);
    };
    const bySourceLine = new Map(rows.map((r) => [`${r.source}:${Number(r.line)}`, r.json]));
    let compared = 0;
    for (let line = 1; line <= 4; line++) {
      const control = bySourceLine.get(`${paths[3]}:${line}`)!;
      for (const p of paths.slice(0, 3)) {
        const built = bySourceLine.get(`${p}:${line}`);
        // The .gz and the array repeat the plain file's lines byte for byte: their events are duplicates of its.
        if (built === undefined) continue;
        expect(meaning(built), `${p}:${line}`).toBe(meaning(control));
        compared++;
      }
    }
    expect(compared).toBe(4);
    for (const r of rows) expect(r.json).not.toContain('"polluted"');
  });
});
