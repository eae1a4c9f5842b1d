/**
 * Reading a secret's value in text, by how it is written: quoted (up to the matching quote at
 * the same escape level, however deeply the JSON is nested), a JSON array or object (every string
 * value in it), or a bare word (up to a space or a pair separator). A value cut off by truncation
 * runs to the end of the text. The name before it has already been judged secret (pairs.ts).
 */
import type { FieldRule } from './field-rules.js';
import { isFingerprint, isRedacted, markEndAt, markSegment, type DetectorKind, type RedactContext } from './marks.js';
import { isJsonNonString, kindOfSecretValue, looksLikeKeyMaterial } from './shapes.js';

/** An auth scheme in front of a credential; the credential alone is fingerprinted. */
const AUTH_SCHEME = /(?:bearer|basic|digest|token|negotiate|apikey)[ \t]+/iy;

const BACKSLASH = 92;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;

/** Backslashes before the quotes of a value nested 0, 1, 2 or 3 levels deep in JSON strings (2^level - 1). */
const QUOTE_ESCAPE_RUNS = new Set([0, 1, 3, 7]);

/** Characters that end a bare value: space, separators of pairs, quotes, brackets, escapes. */
function endsWord(c: number): boolean {
  return (
    c === 32 ||
    c === 9 ||
    c === 10 ||
    c === 13 ||
    c === 38 /* & */ ||
    c === 44 /* , */ ||
    c === 59 /* ; */ ||
    c === DOUBLE_QUOTE ||
    c === SINGLE_QUOTE ||
    c === 125 /* } */ ||
    c === 93 /* ] */ ||
    c === 41 /* ) */ ||
    c === 60 /* < */ ||
    c === 62 /* > */ ||
    c === BACKSLASH ||
    c === 124 /* | */ ||
    c === 96 /* ` */
  );
}

function endsLine(c: number): boolean {
  return c === 10 || c === 13 || c === DOUBLE_QUOTE || c === SINGLE_QUOTE || c === BACKSLASH;
}

function backslashesAt(s: string, at: number): number {
  let n = 0;
  while (s.charCodeAt(at + n) === BACKSLASH) n++;
  return n;
}

/**
 * The closing quote of a value written at escape level `run` (the number of backslashes before
 * its opening quote): the next quote preceded by a backslash run of that length modulo
 * 2·run+2 (plain JSON: an even run; once nested: 1, 5, 9...; twice nested: 3, 11...).
 * Returns where the closing backslashes start, or -1 when the value is cut off.
 */
function closingQuote(s: string, from: number, quote: string, run: number): number {
  const modulus = 2 * run + 2;
  for (let q = s.indexOf(quote, from); q >= 0; q = s.indexOf(quote, q + 1)) {
    let n = 0;
    while (q - n - 1 >= from && s.charCodeAt(q - n - 1) === BACKSLASH) n++;
    if (n % modulus === run) return q - run;
  }
  return -1;
}

export interface Replacement {
  /** Where the replaced text ends in the input; scanning resumes there. */
  end: number;
  /** The text that replaces the input from the value's start to `end`. */
  text: string;
}

function kindFor(rule: FieldRule, value: string): DetectorKind | undefined {
  if (rule.strength === 'key-material') return looksLikeKeyMaterial(value) ? 'key-material' : undefined;
  return kindOfSecretValue(rule, value);
}

/** Length of an auth scheme word and its spaces at `at`, when the rule expects one. */
function schemeLength(s: string, at: number, rule: FieldRule): number {
  if (rule.strength !== 'secret' || !rule.authScheme) return 0;
  AUTH_SCHEME.lastIndex = at;
  return AUTH_SCHEME.test(s) ? AUTH_SCHEME.lastIndex - at : 0;
}

/** The secret starting at `start` (the character after the separator), or undefined to leave it. */
export function redactValueAt(s: string, start: number, nameRun: number, quotedName: boolean, rule: FieldRule, ctx: RedactContext): Replacement | undefined {
  const run = backslashesAt(s, start);
  const open = s.charCodeAt(start + run);

  if ((open === DOUBLE_QUOTE || open === SINGLE_QUOTE) && QUOTE_ESCAPE_RUNS.has(run)) {
    const contentStart = start + run + 1;
    const close = closingQuote(s, contentStart, open === DOUBLE_QUOTE ? '"' : "'", run);
    const contentEnd = close < 0 ? s.length : close;
    const secretStart = contentStart + schemeLength(s, contentStart, rule);
    const value = s.slice(secretStart, contentEnd);
    if (value === '' || isRedacted(value)) return undefined;
    const kind = kindFor(rule, value);
    if (kind === undefined) return undefined;
    return { end: contentEnd, text: s.slice(start, secretStart) + markSegment(ctx, kind, value) };
  }

  // `[` opens a JSON array, unless it opens a mark (`[redacted:...]`) an earlier detector left.
  if ((open === 123 /* { */ || open === 91) /* [ */ && run === 0 && markEndAt(s, start) < 0) {
    return rule.strength === 'secret' ? redactStructure(s, start, nameRun, ctx) : undefined;
  }

  const secretStart = start + schemeLength(s, start, rule);
  // A value an earlier detector marked in part (`password=<jwt>!rest`): the rest goes with it.
  const markEnd = markEndAt(s, secretStart);
  const stop = rule.strength === 'secret' && rule.untilEndOfLine ? endsLine : endsWord;
  let end = markEnd >= 0 ? markEnd : secretStart;
  while (end < s.length && !stop(s.charCodeAt(end))) end++;
  if (end === markEnd) return undefined;
  const value = s.slice(secretStart, end);
  if (value === '' || isFingerprint(value)) return undefined;
  // `"nonce": 12` in JSON text: numbers and booleans stay, as they do in parsed records.
  if (quotedName && isJsonNonString(value)) return undefined;
  const kind = kindFor(rule, value);
  if (kind === undefined) return undefined;
  return { end, text: s.slice(start, secretStart) + markSegment(ctx, kind, value) };
}

/**
 * A JSON array or object under a secret name, written at escape level `run`: every string
 * that is a value (not followed by `:`) is replaced; numbers, booleans and keys stay. A cut-off
 * structure is handled to the end of the text.
 */
function redactStructure(s: string, start: number, run: number, ctx: RedactContext): Replacement {
  let depth = 0;
  let out = '';
  let last = start;
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 91) {
      depth++;
      i++;
      continue;
    }
    if (c === 125 || c === 93) {
      depth--;
      i++;
      if (depth === 0) break;
      continue;
    }
    const opensString = run === 0 ? c === DOUBLE_QUOTE : c === BACKSLASH && backslashesAt(s, i) === run && s.charCodeAt(i + run) === DOUBLE_QUOTE;
    if (!opensString) {
      i++;
      continue;
    }
    const contentStart = i + run + 1;
    const close = closingQuote(s, contentStart, '"', run);
    const contentEnd = close < 0 ? s.length : close;
    const after = close < 0 ? s.length : close + run + 1;
    let next = after;
    while (next < s.length && (s.charCodeAt(next) === 32 || s.charCodeAt(next) === 9)) next++;
    const isKey = s.charCodeAt(next) === 58; /* : */
    const value = s.slice(contentStart, contentEnd);
    if (!isKey && value !== '' && !isRedacted(value)) {
      out += s.slice(last, contentStart) + markSegment(ctx, 'kv-secret', value);
      last = contentEnd;
    }
    i = after;
  }
  return { end: i, text: out + s.slice(last, i) };
}
