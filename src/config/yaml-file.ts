import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { AuditlineError, ConfigError } from '../errors.js';
import { lineOfPointer } from './yaml-locate.js';

/** A YAML document and where each of its values is, so every later check can name file and line. */
export interface LocatedYaml {
  /** The document as plain data; undefined for an empty file */
  value: unknown;
  /** Syntax errors with their lines (none once `parseLocatedYaml` returned without throwing) */
  syntaxErrors: { line: number; column: number; message: string }[];
  lineOf: (pointer: string, key?: string) => number | undefined;
}

/** Reads a configuration file; a missing or unreadable file is `AL_CONFIG_NOT_FOUND` naming what it is. */
export function readConfigText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AuditlineError('AL_CONFIG_NOT_FOUND', `cannot read ${what}: ${(cause as Error).message}`, { file }, { cause });
  }
}

/** Parses YAML with duplicate keys refused, collecting syntax errors with their lines instead of throwing. */
export function locateYaml(text: string): LocatedYaml {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const syntaxErrors = doc.errors.map((e) => {
    const pos = counter.linePos(e.pos[0]);
    return { line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
  });
  let value: unknown;
  if (syntaxErrors.length === 0) {
    try {
      value = doc.toJS();
    } catch (e) {
      // Aliases are resolved here: one naming no anchor (`*a`), or so many that they expand without
      // bound (yaml's limit against alias bombs) throws a ReferenceError, which is the file's fault.
      const pos = counter.linePos(aliasAt(doc));
      syntaxErrors.push({ line: pos.line, column: pos.col, message: `YAML: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return {
    value,
    syntaxErrors,
    lineOf: (pointer, key) => lineOfPointer(doc, counter, pointer, key),
  };
}

/** Where the first alias that names no anchor is, else the first alias (the offset 0 when there is none). */
function aliasAt(doc: Document): number {
  let unresolved: number | undefined;
  let first: number | undefined;
  visit(doc, {
    Alias(_, node) {
      const at = node.range?.[0];
      first ??= at;
      if (unresolved === undefined && node.resolve(doc) === undefined) unresolved = at;
    },
  });
  return unresolved ?? first ?? 0;
}

/** As `locateYaml`, but the first syntax error stops with a `ConfigError` at its file:line:column. */
export function parseLocatedYaml(text: string, file: string): LocatedYaml {
  const located = locateYaml(text);
  const first = located.syntaxErrors[0];
  if (first) throw new ConfigError(first.message, { file, line: first.line, column: first.column });
  return located;
}
