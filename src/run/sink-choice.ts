import { openDeadLetter, type DeadLetterSink } from '../sinks/dead-letter.js';
import { openDuckDbSink } from '../sinks/duckdb/sink.js';
import { openNdjsonSink } from '../sinks/ndjson.js';
import { loadSigningKey } from '../secrets/signing-key.js';
import type { EventSink } from '../sinks/sink.js';

/** Where events and rejects go: the options every way of use (ingest, follow, serve) shares. */
export interface SinkChoice {
  /** DuckDB file (default `<dataDir>/auditline.duckdb`); ignored when `out` or Elasticsearch is set. */
  store?: string;
  /** NDJSON output folder instead of the store. */
  out?: string;
  /** Elasticsearch URL (every location on that cluster) instead of the store. */
  es?: string;
  /** Elasticsearch configuration file (locations to clusters) instead of the store. */
  esConfig?: string;
  /** Run `es setup` on the clusters first instead of refusing ones that lack it. */
  esSetup?: boolean;
  /** Seal the DuckDB store: chain a digest of every write (tamper evidence; a sealed store stays sealed). */
  digests?: boolean;
  /** Dead-letter file (default `<dataDir>/dead-letter.ndjson`). */
  dlq?: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}

export function defaultStorePath(dataDir: string): string {
  return `${dataDir}/auditline.duckdb`;
}

/** The local files a choice writes (a follower must never follow them). */
export function localOutputsOf(choice: SinkChoice): { storeName: string; dlqPath: string } {
  return { storeName: choice.out ?? choice.store ?? defaultStorePath(choice.dataDir), dlqPath: choice.dlq ?? `${choice.dataDir}/dead-letter.ndjson` };
}

/** Opens the sink the options name: NDJSON files, Elasticsearch, or (by default) the DuckDB store. */
export async function openChosenSink(choice: SinkChoice): Promise<EventSink> {
  if (choice.out !== undefined) return openNdjsonSink(choice.out);
  if (choice.es !== undefined || choice.esConfig !== undefined) {
    // Loaded only when asked for: the Elasticsearch client and its HTTP stack add ~20 MB to every run.
    const { openElasticsearchSink, resolveElasticsearchConfig } = await import('../sinks/elasticsearch/index.js');
    const es = resolveElasticsearchConfig({ url: choice.es, file: choice.esConfig, env: choice.env });
    return openElasticsearchSink(es, { setup: choice.esSetup });
  }
  return openDuckDbSink(
    localOutputsOf(choice).storeName,
    {},
    { digests: choice.digests, signer: loadSigningKey({ dataDir: choice.dataDir, env: choice.env }) },
  );
}

export function openChosenDeadLetter(choice: SinkChoice): DeadLetterSink {
  return openDeadLetter(localOutputsOf(choice).dlqPath);
}
