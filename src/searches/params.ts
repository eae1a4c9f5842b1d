import { AuditlineError } from '../errors.js';
import type { ParamValues } from './plan.js';
import type { SearchDefinition } from './schema.js';

/**
 * Checks `--param k=v` values against a search's declared parameters and types them. Unknown,
 * missing and ill-typed values are refused before anything runs. With `partial` (exports), a
 * parameter left out stays a `{{name}}` placeholder in the output.
 */
export function resolveParams(name: string, def: SearchDefinition, given: Record<string, string>, opts: { partial?: boolean } = {}): ParamValues {
  const declared = def.parameters ?? {};
  const out: ParamValues = {};
  for (const key of Object.keys(given)) {
    if (!declared[key]) {
      const known = Object.keys(declared);
      throw new AuditlineError(
        'AL_SEARCH_PARAM',
        `${name}: unknown parameter "${key}" (${known.length > 0 ? `parameters: ${known.join(', ')}` : 'it takes none'})`,
      );
    }
  }
  for (const [key, decl] of Object.entries(declared)) {
    const raw = given[key];
    if (raw === undefined) {
      if (decl.default !== undefined) out[key] = decl.default;
      else if (decl.required !== false && !opts.partial)
        throw new AuditlineError('AL_SEARCH_PARAM', `${name}: parameter "${key}" is required: ${decl.description}`);
      continue;
    }
    if (decl.type === 'integer') {
      if (!/^-?\d+$/.test(raw)) throw new AuditlineError('AL_SEARCH_PARAM', `${name}: parameter "${key}" takes an integer, not "${raw}"`);
      out[key] = Number(raw);
    } else if (decl.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new AuditlineError('AL_SEARCH_PARAM', `${name}: parameter "${key}" takes true or false, not "${raw}"`);
      out[key] = raw === 'true';
    } else {
      if (raw === '') throw new AuditlineError('AL_SEARCH_PARAM', `${name}: parameter "${key}" is empty`);
      out[key] = raw;
    }
  }
  return out;
}

/** `k=v` strings (from the command line) to a map; the first `=` splits. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new AuditlineError('AL_CLI_USAGE', `--param "${a}" is not of the form name=value`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}
