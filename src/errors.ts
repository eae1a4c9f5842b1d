/**
 * One error hierarchy with stable codes. CLI exit codes come from the code, never
 * from message text. Only start-up, configuration and I/O failures throw; a bad
 * record is data (see RejectCode in model/records.ts), not an exception.
 */

/** Every code this project throws, with the exit code it maps to. Documented in docs/errors.md. */
export const ERROR_CODES = {
  AL_CONFIG_INVALID: { exit: 2, doc: 'A pipeline or configuration file failed validation.' },
  AL_CONFIG_NOT_FOUND: { exit: 2, doc: 'A named pipeline or configuration file does not exist.' },
  AL_CLI_USAGE: { exit: 2, doc: 'The command line is invalid (unknown flag, missing argument).' },
  AL_SOURCE_IO: { exit: 3, doc: 'An input path could not be read.' },
  AL_SOURCE_EMPTY: { exit: 3, doc: 'The input paths matched no file.' },
  AL_SINK_IO: { exit: 4, doc: 'A sink (store, NDJSON, dead-letter file) could not be written.' },
  AL_ES_NOT_SET_UP: {
    exit: 5,
    doc: "The Elasticsearch cluster lacks auditline's templates or ILM policy, or has those of another version: run `auditline es setup`.",
  },
  AL_ES_REQUEST: { exit: 4, doc: 'A request to Elasticsearch outside bulk loading (start-up check, setup, search, export) failed or was refused.' },
  AL_KEY_INVALID: { exit: 2, doc: 'The HMAC key (environment or key file) is malformed.' },
  AL_SERVER_LISTEN: { exit: 6, doc: 'serve could not listen on its address (in use, not allowed, unknown host).' },
  AL_SEARCH_INVALID: { exit: 2, doc: 'A saved search or detection rule failed validation (file:line).' },
  AL_SEARCH_NOT_FOUND: { exit: 2, doc: 'No saved search or detection rule has that name, or the searches folder cannot be read.' },
  AL_SEARCH_PARAM: { exit: 2, doc: 'A search parameter is unknown, missing or of the wrong type.' },
  AL_SEARCH_EXPORT: { exit: 2, doc: 'The search cannot be expressed in the requested export format.' },
  AL_STORE_TAMPERED: { exit: 1, doc: 'verify found stored events or digests that do not match the digest chain (each finding is named).' },
  AL_SIGNING_KEY_INVALID: { exit: 2, doc: 'The Ed25519 signing key or public key for digests is malformed, not Ed25519, or would replace an existing key.' },
  AL_DIGESTS_INVALID: { exit: 2, doc: 'A digest file given to verify --digests is not an auditline digest export.' },
  AL_STORE_CORRUPT: {
    exit: 7,
    doc: "The DuckDB store fails DuckDB's own checks (a block checksum, a damaged header); it is left as it is, never rebuilt.",
  },
  AL_INTERNAL: { exit: 70, doc: 'A bug: an invariant of auditline itself was broken.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  [key: string]: unknown;
}

export class AuditlineError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(withLocation(message, context), options);
    this.name = 'AuditlineError';
    this.code = code;
    this.context = context;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export class ConfigError extends AuditlineError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('AL_CONFIG_INVALID', message, context, options);
    this.name = 'ConfigError';
  }
}

/** Prefix `file:line:column: ` so editors and terminals can jump to the spot. */
function withLocation(message: string, ctx: ErrorContext): string {
  if (!ctx.file) return message;
  const where = [ctx.file, ctx.line, ctx.column].filter((p) => p !== undefined).join(':');
  return `${where}: ${message}`;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof AuditlineError ? err.exitCode : ERROR_CODES.AL_INTERNAL.exit;
}
