/**
 * The redaction stage: field rules by name, then text detectors, each secret replaced by its
 * keyed fingerprint. The pipeline runs it on every parsed record, again on every built event,
 * and on every line or message it could not parse (see types.ts for the contract).
 */
import { AuditlineError } from '../../errors.js';
import type { HmacKey } from '../../secrets/hmac-key.js';
import { REQUEST_EVENT_LAYOUT } from '../build/event.js';
import { compileBuiltEventPass } from './built-event.js';
import { createDeferredFingerprints } from './deferred.js';
import { redactString } from './detectors.js';
import { createFieldRules } from './field-rules.js';
import type { RedactContext } from './marks.js';
import type { RedactionCounts, Redactor } from './types.js';
import { createWalker } from './walk.js';

export type { RedactionCounts, Redactor } from './types.js';
export { FINGERPRINT_PREFIX, MARK_PREFIX, isFingerprint, isRedacted } from './marks.js';
export { MAX_DEPTH, TOO_DEEP_LABEL } from './walk.js';

export interface RedactorOptions {
  /** The installation key (secrets/hmac-key.ts). */
  key: HmacKey;
  /** A pipeline's `redaction.fields`: more secret field names, matched like the built-in ones. */
  extraFields?: readonly string[];
  /**
   * Distinct values whose fingerprints are remembered (per generation; two are kept). A client's
   * bearer token repeats on every call for an hour, and an HMAC costs more than the rest of the
   * stage. The memo lives in memory only. Default 2048; 0 turns it off.
   */
  memoSize?: number;
  /**
   * Whether a parsed record's fingerprints are computed only where they reach an output
   * (deferred.ts). Default true; the same events, rejects and counts either way.
   */
  deferFingerprints?: boolean;
}

const DEFAULT_MEMO_SIZE = 2048;
/** Values longer than this (whole PEM chains, bodies) are not worth remembering. */
const MAX_MEMO_VALUE_LENGTH = 4096;
/** Lookups per hit-rate check, the hits that keep the memo on (2%), and how long it stands aside. */
const MEMO_WINDOW = 1024;
const MEMO_MIN_HITS_PER_WINDOW = 20;
const MEMO_BYPASS_CALLS = 16 * MEMO_WINDOW;

export function createRedactor(opts: RedactorOptions): Redactor {
  const rules = createFieldRules(opts.extraFields ?? []);
  const walker = createWalker(rules);
  const fingerprint = memoize(opts.key.fingerprint, opts.memoSize ?? DEFAULT_MEMO_SIZE);
  const deferred = createDeferredFingerprints(fingerprint);
  const builtEventPass = compileBuiltEventPass(REQUEST_EVENT_LAYOUT, rules, walker, deferred);
  const defer = opts.deferFingerprints ?? true;
  // One context each, reused: the stage is synchronous and never re-entered.
  const ctx: RedactContext = { fingerprint, counts: {}, redacted: 0 };
  const recordCtx: RedactContext = { fingerprint: deferred.standIn, counts: {}, redacted: 0 };

  return {
    redactRecord(value: unknown, counts: RedactionCounts): number {
      if (typeof value === 'string') {
        // A string cannot be changed in place; text goes through redactText.
        throw new AuditlineError('AL_INTERNAL', 'redactRecord was given a string; use redactText');
      }
      if (typeof value !== 'object' || value === null) return 0;
      // A built event walked whole: what it copied from the record is resolved before it is looked at.
      if (deferred.pending()) deferred.resolveDeep(value);
      ctx.counts = counts;
      ctx.redacted = 0;
      walker.walk(value, ctx);
      return ctx.redacted;
    },
    redactParsedRecord(record: object, counts: RedactionCounts): number {
      if (!defer) return this.redactRecord(record, counts);
      deferred.begin();
      recordCtx.counts = counts;
      recordCtx.redacted = 0;
      walker.walk(record, recordCtx);
      return recordCtx.redacted;
    },
    redactBuiltEvent(event: object, counts: RedactionCounts): number {
      ctx.counts = counts;
      ctx.redacted = 0;
      if (builtEventPass) builtEventPass(event, ctx);
      else {
        if (deferred.pending()) deferred.resolveDeep(event);
        walker.walk(event, ctx);
      }
      return ctx.redacted;
    },
    recordText(record: object): string {
      if (deferred.pending()) deferred.resolveDeep(record);
      return JSON.stringify(record);
    },
    redactText(text: string, counts: RedactionCounts): string {
      ctx.counts = counts;
      ctx.redacted = 0;
      return redactString(deferred.pending() ? deferred.resolveText(text) : text, ctx, rules);
    },
    fingerprint: opts.key.fingerprint,
  };
}

/**
 * Two generations of a map: cheap, bounded, and keeps what is used often enough. When values
 * stop repeating (a corpus with one token per line), looking them up costs more than it saves:
 * after a window with almost no hits the memo stands aside for a while, then samples again.
 */
function memoize(f: (value: string) => string, generationSize: number): (value: string) => string {
  if (generationSize <= 0) return f;
  let current = new Map<string, string>();
  let previous = new Map<string, string>();
  let lookups = 0;
  let hits = 0;
  let bypass = 0;
  return (value) => {
    if (value.length > MAX_MEMO_VALUE_LENGTH) return f(value);
    if (bypass > 0) {
      bypass--;
      return f(value);
    }
    if (++lookups === MEMO_WINDOW) {
      if (hits < MEMO_MIN_HITS_PER_WINDOW) bypass = MEMO_BYPASS_CALLS;
      lookups = 0;
      hits = 0;
    }
    let fp = current.get(value);
    if (fp !== undefined) {
      hits++;
      return fp;
    }
    fp = previous.get(value);
    if (fp !== undefined) hits++;
    else fp = f(value);
    if (current.size >= generationSize) {
      previous = current;
      current = new Map();
    }
    current.set(value, fp);
    return fp;
  };
}
