import { describe, expect, it } from 'vitest';
import { digestOf, entriesOf, parseEntries, rowHash } from '../../src/sinks/digest-chain.js';
import { readDigests } from '../../src/sinks/duckdb/digests.js';
import { openReadOnly, verifyStore } from '../../src/sinks/duckdb/verify.js';
import type { StoredEvent } from '../../src/model/records.js';
import { tempDir } from '../helpers/env.js';
import { queryStore } from '../helpers/store.js';
import { findingsOf, ingest, ingestInParts, KP, named, SM, storeOf, tamper } from './helpers.js';

async function idsOf(store: string, table: string, n: number): Promise<string[]> {
  return (await queryStore(store, `SELECT id FROM ${table} ORDER BY id LIMIT ${n}`)).map((r) => String(r.id));
}

async function seqOf(store: string, location: string, id: string): Promise<number> {
  const store_ = await openReadOnly(store);
  try {
    for await (const d of readDigests(store_.conn, location)) if (parseEntries(d.entries).some((e) => e.id === id)) return d.seq;
  } finally {
    store_.close();
  }
  throw new Error(`${id} in no digest`);
}

describe('digest chain of the DuckDB store', () => {
  it('an ingested store verifies intact, every location with digests covering every row', async () => {
    const dir = tempDir();
    const s = await ingest([KP, SM], dir);
    const report = await verifyStore(storeOf(dir));
    expect(report.intact).toBe(true);
    expect(report.locations.map((l) => l.status)).toEqual(report.locations.map(() => 'intact'));
    expect(report.locations.reduce((n, l) => n + l.chain.events, 0)).toBe(s.eventsIndexed);
    for (const l of report.locations) expect(l.chain.events).toBe(l.rows);
  });

  it('names a row whose event JSON was altered, one deleted and one inserted, and nothing else', async () => {
    const dir = tempDir();
    await ingestInParts(dir);
    const store = storeOf(dir);
    const [altered, removed, copied] = await idsOf(store, 'events_us_south', 3);
    await tamper(
      store,
      `UPDATE events_us_south SET event = replace(event::VARCHAR, '"outcome":"failure"', '"outcome":"success"')::JSON WHERE id = '${altered}'`,
      `UPDATE events_us_south SET event = json_merge_patch(event, '{"message":"nothing happened"}') WHERE id = '${altered}'`,
      `DELETE FROM events_us_south WHERE id = '${removed}'`,
      `INSERT INTO events_us_south SELECT * REPLACE ('00000000-0000-8000-8000-000000000000' AS id) FROM events_us_south WHERE id = '${copied}'`,
    );
    const findings = await findingsOf(store);
    expect(named(findings)).toEqual(
      [`row_altered us-south ${altered}`, `row_removed us-south ${removed}`, 'row_added us-south 00000000-0000-8000-8000-000000000000'].sort(),
    );
    expect(findings.find((f) => f.kind === 'row_removed')!.seq).toBe(await seqOf(store, 'us-south', removed!));
  });

  it('names a row whose key column alone was altered (the JSON untouched)', async () => {
    const dir = tempDir();
    await ingest([KP], dir);
    const [id] = await idsOf(storeOf(dir), 'events_us_south', 1);
    await tamper(storeOf(dir), `UPDATE events_us_south SET action = 'kms.secrets.read' WHERE id = '${id}'`);
    expect(named(await findingsOf(storeOf(dir)))).toEqual([`row_altered us-south ${id}`]);
  });

  it('names a row stored twice', async () => {
    const dir = tempDir();
    await ingest([KP], dir);
    const [id] = await idsOf(storeOf(dir), 'events_us_south', 1);
    await tamper(storeOf(dir), `INSERT INTO events_us_south SELECT * FROM events_us_south WHERE id = '${id}'`);
    expect(named(await findingsOf(storeOf(dir)))).toEqual([`row_duplicated us-south ${id}`]);
  });

  it('names a digest deleted from the middle of the chain, and the rows it covered as added', async () => {
    const dir = tempDir();
    await ingestInParts(dir);
    const store = storeOf(dir);
    const covered = await queryStore(store, 'SELECT events FROM digests_us_south WHERE seq = 2');
    await tamper(store, 'DELETE FROM digests_us_south WHERE seq = 2');
    const findings = await findingsOf(store);
    expect(findings.filter((f) => f.kind === 'digest_missing')).toEqual([expect.objectContaining({ location: 'us-south', seq: 2 })]);
    expect(findings.filter((f) => f.kind === 'row_added')).toHaveLength(Number(covered[0]!.events));
    expect(new Set(findings.map((f) => f.kind))).toEqual(new Set(['digest_missing', 'row_added']));
  });

  it('names digests whose order was changed, and a digest altered in place', async () => {
    const dir = tempDir();
    await ingestInParts(dir);
    const store = storeOf(dir);
    await tamper(store, 'UPDATE digests_us_south SET seq = CASE seq WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE seq END');
    const swapped = named(await findingsOf(store));
    expect(swapped).toEqual(expect.arrayContaining(['digest_altered us-south 1', 'digest_altered us-south 2', 'chain_broken us-south 2']));

    const other = tempDir();
    await ingestInParts(other);
    await tamper(storeOf(other), "UPDATE digests_us_south SET committed_at = '2020-01-01T00:00:00.000Z' WHERE seq = 3");
    expect(named(await findingsOf(storeOf(other)))).toEqual(['digest_altered us-south 3']);
  });

  it('re-ingesting the same files (all duplicates) adds no digest and the chain stays valid', async () => {
    const dir = tempDir();
    await ingest([KP, SM], dir);
    const before = await queryStore(storeOf(dir), 'SELECT count(*) AS n FROM digests_us_south');
    const again = await ingest([KP, SM], dir);
    expect(again.eventsIndexed).toBe(0);
    expect(await queryStore(storeOf(dir), 'SELECT count(*) AS n FROM digests_us_south')).toEqual(before);
    expect((await verifyStore(storeOf(dir))).intact).toBe(true);
  });

  it('a store written before digests says "no digests", and is sealed with a baseline the next time it is written', async () => {
    const dir = tempDir();
    await ingest([KP], dir);
    const tables = await queryStore(storeOf(dir), "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'digests_%'");
    await tamper(storeOf(dir), ...tables.map((t) => `DROP TABLE ${String(t.table_name)}`));
    const legacy = await verifyStore(storeOf(dir));
    expect(legacy.intact).toBe(false);
    expect(legacy.locations.map((l) => l.status)).toEqual(legacy.locations.map(() => 'no_digests'));

    await ingest([SM], dir);
    const sealed = await verifyStore(storeOf(dir));
    expect(sealed.intact).toBe(true);
    const kinds = await queryStore(storeOf(dir), 'SELECT seq, kind FROM digests_us_south ORDER BY seq');
    expect(kinds[0]).toEqual({ seq: '1', kind: 'baseline' });
  });

  it('verifies one location only with --location', async () => {
    const dir = tempDir();
    await ingest([KP, SM], dir);
    const [id] = await idsOf(storeOf(dir), 'events_eu_de', 1);
    await tamper(storeOf(dir), `DELETE FROM events_eu_de WHERE id = '${id}'`);
    expect((await verifyStore(storeOf(dir), { location: 'us-south' })).intact).toBe(true);
    expect(named(await findingsOf(storeOf(dir), { location: 'eu-de' }))).toEqual([`row_removed eu-de ${id}`]);
  });
});

describe('row hash and digest', () => {
  const event = {
    id: 'a',
    time: 1.5,
    action: 'x',
    outcome: 'success',
    severity: 'normal',
    service: 's',
    initiatorId: 'i',
    initiatorName: 'n',
    sourceAddress: null,
    targetId: 't',
    targetTypeURI: 'u',
    correlationId: null,
    reasonCode: 200,
    dataEvent: false,
    location: 'us-south',
    source: 'f',
    line: 1,
    json: '{"é":1}',
  } as StoredEvent;

  it('length-prefixes every value in UTF-8 bytes, so moving text between columns changes the hash', () => {
    expect(rowHash(event)).not.toBe(rowHash({ ...event, action: 'xs', outcome: 'uccess' }));
    expect(rowHash(event)).not.toBe(rowHash({ ...event, sourceAddress: '-' }));
  });

  it('sorts entries by id, so the digest does not depend on the order rows were written in', () => {
    const a = entriesOf([
      { id: 'b', hash: '2' },
      { id: 'a', hash: '1' },
    ]);
    expect(a).toBe('a 1\nb 2\n');
    const h = { location: 'us-south', seq: 1, kind: 'write' as const, committedAt: 't', events: 2, columns: 'id', previous: '0' };
    expect(digestOf(h, a)).not.toBe(digestOf({ ...h, seq: 2 }, a));
  });
});
