import { queryStore, tablesOf } from '../helpers/store.js';

/**
 * Every stored row of every location table, each as `table<TAB>row JSON`, sorted: two stores hold
 * the same events exactly when their snapshots are equal (same ids, same content, each once).
 */
export async function storeSnapshot(store: string): Promise<string[]> {
  const rows: string[] = [];
  for (const table of await tablesOf(store)) {
    for (const row of await queryStore(store, `SELECT * FROM "${table}" ORDER BY id`)) rows.push(`${table}\t${JSON.stringify(row)}`);
  }
  return rows.sort();
}

/** Ids stored more than once, across every location table. */
export async function repeatedIds(store: string): Promise<string[]> {
  const tables = await tablesOf(store);
  if (tables.length === 0) return [];
  const union = tables.map((t) => `SELECT id FROM "${t}"`).join(' UNION ALL ');
  const rows = await queryStore(store, `SELECT id FROM (${union}) GROUP BY id HAVING count(*) > 1`);
  return rows.map((r) => String(r.id));
}
