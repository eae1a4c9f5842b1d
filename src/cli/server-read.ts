import type { Argv } from 'yargs';
import { AuditlineError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { TOKEN_ENV } from '../server/config.js';

/** The flags that make `export`, `search run` and `detect` read through a running `auditline serve`. */
export interface ServerReadArgs {
  server?: string;
  token?: string;
  es?: string;
  'es-config'?: string;
}

export function serverReadOptions<T>(y: Argv<T>): Argv<T & ServerReadArgs> {
  return y
    .option('server', {
      type: 'string',
      describe: 'read through this auditline serve (URL) instead of opening the store: DuckDB lets no other process open a store serve writes',
    })
    .option('token', { type: 'string', describe: `credential for --server (else ${TOKEN_ENV})` });
}

/** The server the flags name, with its credential, or undefined (open the store or Elasticsearch). */
export function serverOf(args: ServerReadArgs, env: NodeJS.ProcessEnv = process.env): { url: string; token: string | undefined } | undefined {
  if (args.server === undefined) {
    if (args.token !== undefined) throw new AuditlineError('AL_CLI_USAGE', '--token goes with --server');
    return undefined;
  }
  if (args.es !== undefined || args['es-config'] !== undefined)
    throw new AuditlineError('AL_CLI_USAGE', '--server and --es/--es-config are exclusive: read one place');
  return { url: args.server.replace(/\/+$/, ''), token: args.token ?? env[TOKEN_ENV] };
}

/**
 * One request to the server's query routes. A refusal becomes the error the same command run
 * locally would raise (the server sends our code along), so exit codes do not depend on where it
 * ran; the token is never part of a message.
 */
export async function serverRequest(
  server: { url: string; token: string | undefined },
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (server.token !== undefined) headers.authorization = `Bearer ${server.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch (cause) {
    throw new AuditlineError(
      'AL_SOURCE_IO',
      `cannot reach the server ${server.url}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}`,
      {},
      { cause },
    );
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => '');
  let reason = text.slice(0, 500);
  let code: ErrorCode = res.status === 401 ? 'AL_CLI_USAGE' : 'AL_SOURCE_IO';
  try {
    const error = (JSON.parse(text) as { error?: { reason?: string; auditline_code?: string } }).error;
    if (error?.reason) reason = error.reason;
    if (error?.auditline_code && Object.hasOwn(ERROR_CODES, error.auditline_code)) code = error.auditline_code as ErrorCode;
  } catch {
    // not an error body of ours: its text is the reason
  }
  throw new AuditlineError(
    code,
    `${server.url}${path.split('?')[0]}: ${res.status} ${reason}${res.status === 401 ? ' (give --token or set ' + TOKEN_ENV + ')' : ''}`,
  );
}

/** Copies an answer's body to stdout as it arrives, at stdout's pace. */
export async function pipeToStdout(res: Response): Promise<void> {
  if (!res.body) return;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!process.stdout.write(chunk)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
    }
  } catch (cause) {
    // The server cuts an answer it cannot finish: what was printed is incomplete, and the exit code says so.
    throw new AuditlineError('AL_SOURCE_IO', `the server broke off its answer: ${(cause as Error).message}`, {}, { cause });
  }
}

/** A query string of the values given (undefined ones left out; arrays repeated). */
export function queryString(values: Record<string, string | number | boolean | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) q.append(k, item);
    else q.set(k, String(v));
  }
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}
