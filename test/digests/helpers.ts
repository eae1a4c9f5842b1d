import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runIngest } from '../../src/run/ingest.js';
import { verifyStore, type VerifyOptions } from '../../src/sinks/duckdb/verify.js';
import type { Finding } from '../../src/sinks/digest-verify.js';
import { TEST_ENV } from '../helpers/env.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/raw');
export const KP = join(FIXTURES, 'key-protect.ndjson');
export const SM = join(FIXTURES, 'secrets-manager.ndjson');

export function storeOf(dir: string): string {
  return join(dir, 'auditline.duckdb');
}

export function ingest(paths: string[], dir: string, env: NodeJS.ProcessEnv = TEST_ENV) {
  return runIngest({ paths, dataDir: dir, env, workers: 0, digests: true });
}

/**
 * The Key Protect fixture cut into `parts` files, ingested one run each: every location it feeds
 * gets one digest per part, so a chain has a middle to tamper with.
 */
export async function ingestInParts(dir: string, parts = 3, env: NodeJS.ProcessEnv = TEST_ENV): Promise<void> {
  const lines = readFileSync(KP, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const size = Math.ceil(lines.length / parts);
  for (let i = 0; i < parts; i++) {
    const file = join(dir, `part-${i}.ndjson`);
    writeFileSync(file, `${lines.slice(i * size, (i + 1) * size).join('\n')}\n`);
    await ingest([file], dir, env);
  }
}

/** Runs statements on the store with a writable connection, as someone with access to the file could. */
export async function tamper(path: string, ...statements: string[]): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    let last: Record<string, unknown>[] = [];
    for (const s of statements) last = (await conn.runAndReadAll(s)).getRowObjectsJson() as Record<string, unknown>[];
    return last;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function findingsOf(path: string, opts: VerifyOptions = {}): Promise<Finding[]> {
  return (await verifyStore(path, opts)).locations.flatMap((l) => l.findings);
}

/** Findings as `kind id-or-seq`, to compare as a set. */
export function named(findings: Finding[]): string[] {
  return findings.map((f) => `${f.kind} ${f.location} ${f.id ?? f.seq ?? ''}`.trim()).sort();
}
