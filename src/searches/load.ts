import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { AuditlineError } from '../errors.js';
import { searchJsonSchema, type SearchDefinition } from './schema.js';
import { locateYaml } from '../config/yaml-file.js';

/** The folder of bundled searches, found from this file so the CLI works from any directory. */
export const BUNDLED_SEARCHES_DIR = fileURLToPath(new URL('../../searches', import.meta.url));

/** One problem found in a search file: where, and what. */
export interface SearchIssue {
  file: string;
  line: number | undefined;
  message: string;
}

export interface LoadedSearch {
  /** The file's slug: what `search run <name>` takes */
  name: string;
  file: string;
  /** Present when the file parsed and matched the schema */
  definition: SearchDefinition | undefined;
  /** Line of a JSON pointer into the document (and of one key below it) */
  lineOf: (pointer: string, key?: string) => number | undefined;
  issues: SearchIssue[];
}

// Union types are how YAML scalars are described (a value may be a string, number, boolean or null).
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateShape = ajv.compile<SearchDefinition>(searchJsonSchema);

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function isSearchFile(file: string): boolean {
  return /\.ya?ml$/.test(file);
}

export function slugOf(file: string): string {
  return basename(file, extname(file));
}

/** Parses and checks the shape of one search, purely; every problem is collected, none thrown. */
export function parseSearch(text: string, file: string): LoadedSearch {
  const { value, syntaxErrors, lineOf } = locateYaml(text);
  const name = slugOf(file);
  const issues: SearchIssue[] = [];
  if (!SLUG.test(name)) issues.push({ file, line: 1, message: `file name "${basename(file)}" is not a slug (lower-case words joined by "-")` });
  if (syntaxErrors.length > 0) {
    for (const e of syntaxErrors) issues.push({ file, line: e.line, message: e.message });
    return { name, file, definition: undefined, lineOf, issues };
  }
  if (!validateShape(value)) {
    for (const e of validateShape.errors ?? []) {
      const unknownKey = e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      const badName = e.keyword === 'propertyNames' ? String(e.params.propertyName) : undefined;
      // A selection value failing every branch of anyOf reports each branch; the anyOf line says it once.
      if (e.schemaPath.includes('/anyOf/')) continue;
      const what = unknownKey
        ? `unknown key "${unknownKey}"`
        : badName
          ? `invalid name "${badName}"`
          : `${e.instancePath || '/'} ${e.message}${e.keyword === 'enum' ? ` (allowed: ${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`;
      issues.push({ file, line: lineOf(e.instancePath, unknownKey ?? badName), message: what });
    }
    return { name, file, definition: undefined, lineOf, issues };
  }
  return { name, file, definition: value, lineOf, issues };
}

export function loadSearchFile(file: string): LoadedSearch {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AuditlineError('AL_SEARCH_NOT_FOUND', `cannot read search file: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseSearch(text, file);
}

/** Every search file of a folder, sorted by name. */
export function loadSearchFolder(dir: string): LoadedSearch[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new AuditlineError('AL_SEARCH_NOT_FOUND', `cannot read searches folder: ${(cause as Error).message}`, { file: dir }, { cause });
  }
  return names
    .filter(isSearchFile)
    .sort()
    .map((f) => loadSearchFile(join(dir, f)));
}
