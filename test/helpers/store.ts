import { DuckDBInstance } from '@duckdb/node-api';

/** Runs a query on a DuckDB file and returns plain rows (closes the file afterwards). */
export async function queryStore(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function tablesOf(path: string): Promise<string[]> {
  const rows = await queryStore(path, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'events_%' ORDER BY 1");
  return rows.map((r) => String(r.table_name));
}
