import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
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
  return {
    value: syntaxErrors.length > 0 ? undefined : (doc.toJS() as unknown),
    syntaxErrors,
    lineOf: (pointer, key) => lineOfPointer(doc, counter, pointer, key),
  };
}

/** As `locateYaml`, but the first syntax error stops with a `ConfigError` at its file:line:column. */
export function parseLocatedYaml(text: string, file: string): LocatedYaml {
  const located = locateYaml(text);
  const first = located.syntaxErrors[0];
  if (first) throw new ConfigError(first.message, { file, line: first.line, column: first.column });
  return located;
}
