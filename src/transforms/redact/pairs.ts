/**
 * Secrets named in text: `password=...`, `token: ...`, `"client_secret":"..."`, the same inside
 * JSON that is itself inside a JSON string (`\"apikey\":\"...\"`, LogDNA `_line`, a dead-lettered
 * line), `--apikey ...` on a command line. The name decides, by the same rules as for fields;
 * values.ts reads the value.
 */
import { isIPv6 } from 'node:net';
import type { FieldRules } from './field-rules.js';
import type { RedactContext } from './marks.js';
import { redactValueAt, type Replacement } from './values.js';

/** `--apikey VALUE`, `--password=VALUE`. */
const FLAG_VALUE = /(?<=^|[^A-Za-z0-9_-]|\\[nrt])--([A-Za-z][A-Za-z0-9_-]{0,63})(?:[ \t]+|=)/g;

const BACKSLASH = 92;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const EQUALS = 61;
const COLON = 58;
/** Longest name read before a separator (as in field-rules.ts). */
const MAX_NAME_LENGTH = 64;
/** Names nested up to three levels deep in JSON strings: 0, 1, 3 or 7 backslashes before their quotes. */
const MAX_QUOTE_BACKSLASHES = 7;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Characters of a name: letters, digits, `_`, `.`, `-`. */
const NAME_CHARS = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-') NAME_CHARS[ch.charCodeAt(0)] = 1;

function isNameChar(c: number): boolean {
  return c < 128 && NAME_CHARS[c] === 1;
}

/** `a:b:secret:c` (CRN segments), `/path/secret:x`, `user@secret:x`: a colon chain, not a pair. */
function isColonChain(s: string, nameStart: number): boolean {
  const prev = s.charCodeAt(nameStart - 1);
  return prev === 58 /* : */ || prev === 47 /* / */ || prev === 64; /* @ */
}

/** The name before a separator, as found by `nameBefore`. */
interface NameAt {
  name: string;
  /** The name without a leading escape letter, when it may follow a `\n`, `\r` or `\t` escape. */
  alternative?: string;
  /** Where the name's opening quote and backslashes (if any) start. */
  start: number;
  /** Backslashes before the name's quotes (0 when unquoted): the escape level of its value. */
  run: number;
  quoted: boolean;
}

/**
 * The name written just before the separator at `sep`: `name`, `"name"`, `\"name\"`, with
 * spaces or tabs before the separator. The name must start a word (after a character that
 * cannot be part of a name, or after a `\n`, `\r`, `\t` escape in JSON text) and must start
 * with a letter. Nothing before `floor` (already replaced text) is read.
 */
function nameBefore(s: string, sep: number, floor: number): NameAt | undefined {
  let end = sep;
  while (end > floor && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  let quote = s.charCodeAt(end - 1);
  let run = 0;
  if (end > floor && (quote === DOUBLE_QUOTE || quote === SINGLE_QUOTE)) {
    end--;
    while (end > floor && s.charCodeAt(end - 1) === BACKSLASH) {
      end--;
      run++;
    }
  } else quote = 0;
  let start = end;
  while (start > floor && isNameChar(s.charCodeAt(start - 1))) start--;
  const quoted = quote !== 0;
  if (quoted) {
    // The opening quote, after exactly as many backslashes as the closing one.
    let open = start - 1;
    if (open < floor || s.charCodeAt(open) !== quote) return undefined;
    for (let i = 0; i < run; i++) if (s.charCodeAt(--open) !== BACKSLASH) return undefined;
    if (open > floor && s.charCodeAt(open - 1) === BACKSLASH) return undefined;
    if (run > MAX_QUOTE_BACKSLASHES) return undefined;
    return nameAt(s, start, end, open, run, true);
  }
  // After a backslash in JSON text, a leading `n`, `r` or `t` may be an escape (`...\npassword=x`,
  // `\\n` one level deeper) or a letter of the name (`C:\\token=x`): both readings are tried.
  if (start > 0 && s.charCodeAt(start - 1) === BACKSLASH) {
    const escape = s.charCodeAt(start);
    if (escape === 110 /* n */ || escape === 114 /* r */ || escape === 116 /* t */) {
      const at = nameAt(s, start, end, start, 0, false);
      const unescaped = nameAt(s, start + 1, end, start + 1, 0, false);
      if (at !== undefined && unescaped !== undefined) at.alternative = unescaped.name;
      return at ?? unescaped;
    }
  }
  return nameAt(s, start, end, start, 0, false);
}

function nameAt(s: string, nameStart: number, nameEnd: number, start: number, run: number, quoted: boolean): NameAt | undefined {
  const length = nameEnd - nameStart;
  if (length <= 0 || length > MAX_NAME_LENGTH || !isLetter(s.charCodeAt(nameStart))) return undefined;
  return { name: s.slice(nameStart, nameEnd), start, run, quoted };
}

/** `name=value`, `name: value`, `"name":"value"` (also escaped) whose name is a secret's. */
export function redactNamedValues(s: string, ctx: RedactContext, rules: FieldRules): string {
  let out: string | undefined;
  let last = 0;
  const n = s.length;
  // Start of the run of name characters the scan is in: most separators are rejected from it alone.
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isNameChar(c)) continue;
    if ((c === EQUALS || c === COLON) && !cheapReject(s, runStart, i, c)) {
      const r = redactPairAt(s, i, last, ctx, rules);
      if (r !== undefined) {
        out = (out ?? '') + s.slice(last, r.valueStart) + r.text;
        last = r.end;
        i = r.end - 1;
      }
    }
    runStart = i + 1;
  }
  return out === undefined ? s : out + s.slice(last);
}

/**
 * A separator right after a run of name characters that cannot be a pair: a CRN or path
 * segment (`:secret:`, `/secret:`), or a run that starts with a digit or dash (times, ids).
 */
function cheapReject(s: string, runStart: number, sep: number, c: number): boolean {
  if (runStart === sep) return false;
  if (c === COLON && runStart > 0 && isColonChain(s, runStart)) return true;
  return !isLetter(s.charCodeAt(runStart)) && !(runStart > 0 && s.charCodeAt(runStart - 1) === BACKSLASH);
}

function redactPairAt(s: string, sep: number, floor: number, ctx: RedactContext, rules: FieldRules): (Replacement & { valueStart: number }) | undefined {
  const at = nameBefore(s, sep, floor);
  if (at === undefined) return undefined;
  const colon = s.charCodeAt(sep) === COLON;
  if (colon && isColonChain(s, at.start)) return undefined;
  const rule = rules.classify(at.name) ?? (at.alternative === undefined ? undefined : rules.classify(at.alternative));
  if (rule === undefined) return undefined;
  // Only once the name is a secret's: most candidate pairs are rejected above without this test.
  if (colon && !at.quoted && isIpv6At(s, at.start)) return undefined;
  let start = sep + 1;
  while (start < s.length && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  const r = redactValueAt(s, start, at.run, at.quoted, rule, ctx);
  return r === undefined ? undefined : { ...r, valueStart: start };
}

/** Characters an IPv6 address is written with (with an embedded IPv4 tail). */
const IPV6_CHARS = /^[0-9A-Fa-f:.]*/;
/** `aad:0:0::1`: a name that is a group of hex digits, then a colon, may be an IPv6 address, not `aad: value`. */
const HEX_GROUP_NAME = /^[0-9A-Fa-f]{1,4}:/;

/**
 * True when the text at `start` is an IPv6 address whose first group reads as a secret's name
 * (found by the property test: `aad:0:0:0:0:0:0.0.0.0`). The whole address must parse, so
 * `aad:dGVzdA==` or `aad:deadbeef` (not addresses) are still read as `aad` values.
 */
function isIpv6At(s: string, start: number): boolean {
  const tail = s.slice(start, start + 46); // the longest IPv6 text is 45 characters
  if (!HEX_GROUP_NAME.test(tail)) return false;
  return isIPv6(IPV6_CHARS.exec(tail)![0]);
}

/** `--apikey VALUE`, `--password=VALUE` command-line flags whose name is a secret's. */
export function redactFlagValues(s: string, ctx: RedactContext, rules: FieldRules): string {
  if (!s.includes('--')) return s;
  FLAG_VALUE.lastIndex = 0;
  let out: string | undefined;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = FLAG_VALUE.exec(s)) !== null) {
    const rule = rules.classify(m[1]!);
    if (rule === undefined) continue;
    const start = FLAG_VALUE.lastIndex;
    const r = redactValueAt(s, start, 0, false, rule, ctx);
    if (r === undefined) continue;
    out = (out ?? '') + s.slice(last, start) + r.text;
    last = r.end;
    FLAG_VALUE.lastIndex = r.end;
  }
  return out === undefined ? s : out + s.slice(last);
}
