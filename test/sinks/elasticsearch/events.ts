import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityTrackerEvent } from '../../../src/model/event.js';
import { toStored, type StoredEvent } from '../../../src/model/fields.js';
import { configForUrl, type ElasticsearchConfig } from '../../../src/sinks/elasticsearch/config.js';

const EXPECTED = join(import.meta.dirname, '../../../fixtures/expected');

/** The golden events of the bundled fixtures, in stored form: several locations, real shapes. */
export function fixtureEvents(): StoredEvent[] {
  return ['key-protect', 'secrets-manager'].flatMap((name) =>
    readFileSync(join(EXPECTED, `${name}.expected.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { line: number; event?: ActivityTrackerEvent })
      .filter((r) => r.event !== undefined)
      .map((r) => toStored(r.event!, r.event!.auditline.source, r.line)),
  );
}

/** `--es URL` with quick failure for tests: a short request timeout (the server answers at once unless told to wait). */
export function testConfig(url: string, overrides: Partial<ElasticsearchConfig['bulk']> = {}): ElasticsearchConfig {
  const config = configForUrl(url, {});
  config.bulk = { ...config.bulk, requestTimeoutMs: 2_000, ...overrides };
  return config;
}
