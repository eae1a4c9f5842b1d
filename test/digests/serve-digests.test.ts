import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSigningKeyFile, publicKeyFromPem } from '../../src/secrets/signing-key.js';
import { verifyStore } from '../../src/sinks/duckdb/verify.js';
import { tempDir } from '../helpers/env.js';
import { BEARER, allFixtureLines, deal, ndjson, startTestServer, storedIds } from '../server/helpers.js';
import { named, findingsOf, tamper } from './helpers.js';

describe('serve --digests', () => {
  it('seals what it acknowledges, signed with the data folder key, and verify names an event altered after', async () => {
    const dir = tempDir('auditline-serve-digests-');
    const key = createSigningKeyFile(join(dir, 'signing.key'), dir);
    const server = await startTestServer({ dir, flags: { digests: true } });
    const lines = allFixtureLines();
    try {
      // Several requests, so a location's chain has more than one write.
      for (const part of deal(lines, 3)) {
        const res = await fetch(`${server.url}/v1/ingest`, {
          method: 'POST',
          headers: { ...BEARER, 'content-type': 'application/x-ndjson' },
          body: ndjson(part),
        });
        expect(res.status).toBe(200);
      }
    } finally {
      await server.close();
    }
    const ids = await storedIds(server.store);
    expect(ids.length).toBeGreaterThan(0);

    const report = await verifyStore(server.store, { keys: [publicKeyFromPem(key.publicKeyPem, 'test')] });
    expect(report.intact).toBe(true);
    expect(report.locations.reduce((n, l) => n + l.chain.events, 0)).toBe(ids.length);
    for (const l of report.locations) expect(l.chain.signaturesChecked).toBe(l.chain.digests);

    const victim = String((await tamper(server.store, 'SELECT id FROM events_us_south ORDER BY id LIMIT 1'))[0]!.id);
    await tamper(server.store, `UPDATE events_us_south SET action = 'kms.secrets.read' WHERE id = '${victim}'`);
    expect(named(await findingsOf(server.store))).toEqual([`row_altered us-south ${victim}`]);
  });
});
