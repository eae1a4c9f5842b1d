import type { DuckDBConnection } from '@duckdb/node-api';
import type { AppContext } from '../context.js';
import { HttpError } from '../http-error.js';

/** A read connection on the server's own store: DuckDB lets no other process open the file while serve writes it. */
export async function openReadConnection(ctx: AppContext): Promise<DuckDBConnection> {
  if (!ctx.query.connect)
    throw new HttpError(501, 'illegal_argument_exception', 'this server writes NDJSON files, not a store: the query routes need the DuckDB store');
  return ctx.query.connect();
}
