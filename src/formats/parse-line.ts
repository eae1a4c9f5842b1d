import type { RejectCode } from '../model/records.js';
import { isTextFormat, type InputFormat, type TextInputFormat } from './format.js';
import { TEXT_FORMATS } from './registry.js';

export type ParsedLine =
  | { kind: 'record'; record: Record<string, unknown>; /** set when a text format read the line */ format?: TextInputFormat }
  | { kind: 'reject'; code: RejectCode; reason: string };

/**
 * One line to a record. JSON objects take the fast path (the first character decides); any
 * other line is offered to the text formats (access logs) before it is refused as JSON, so a
 * folder can mix JSON lines and text logs, file by file or line by line. With `--format`
 * naming a text format, only that format is tried.
 */
export function parseLine(text: string, forced: InputFormat | undefined): ParsedLine {
  if (forced && isTextFormat(forced)) {
    const record = forced.parseText(text);
    return record
      ? { kind: 'record', record, format: forced }
      : { kind: 'reject', code: 'unsupported_format', reason: `the line is not in the ${forced.name} format` };
  }
  if (firstNonSpace(text) !== '{' && !forced) {
    for (const format of TEXT_FORMATS) {
      const record = format.parseText(text);
      if (record) return { kind: 'record', record, format };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { kind: 'reject', code: 'malformed_json', reason: (e as Error).message };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      kind: 'reject',
      code: 'not_an_object',
      reason: `a JSON ${Array.isArray(parsed) ? 'array' : parsed === null ? 'null' : typeof parsed} is not a record`,
    };
  }
  return { kind: 'record', record: parsed as Record<string, unknown> };
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\ufeff') return c;
  }
  return '';
}
