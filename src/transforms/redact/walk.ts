/**
 * The walk over a parsed record: field rules by name at every depth, then the text detectors
 * over every string that no rule took. Plain loops, values written back only when they changed.
 */
import { redactString } from './detectors.js';
import type { FieldRules, SecretFieldRule } from './field-rules.js';
import { fingerprintValue, isRedacted, tally, type RedactContext } from './marks.js';
import { looksLikeKeyMaterial } from './shapes.js';

/**
 * Deeper than any log line has reason to be. A subtree below it is replaced, not walked, so a
 * hostile line cannot exhaust the stack, and nothing under it escapes unredacted.
 */
export const MAX_DEPTH = 256;
export const TOO_DEEP = '[redacted:too-deep]';
/** The tally a cut subtree adds to the redaction counts (the line chain reads it to dead-letter the record). */
export const TOO_DEEP_LABEL = 'too-deep';

/** An auth scheme in front of a header value's credential. */
const AUTH_SCHEME_PREFIX = /^(?:bearer|basic|digest|token|negotiate|apikey)[ \t]+/i;
/** Secrets Manager puts kv secrets in `data` next to `secret_type`; elsewhere `data` is just a container. */
const KV_SECRET_DATA = 'data';
const KV_SECRET_DATA_LABEL = 'field:data';
/** Legacy Activity Tracker events wrap their fields in `payload`. */
const LEGACY_WRAPPER_LABEL = 'field:payload';

export interface Walker {
  /** Redacts inside `value` (an object or array), writing changes in place. */
  walk(value: object, ctx: RedactContext): void;
}

export function createWalker(rules: FieldRules): Walker {
  const kvDataRule: SecretFieldRule = { strength: 'secret', label: KV_SECRET_DATA_LABEL, authScheme: false, untilEndOfLine: false, context: undefined };

  function walkArray(arr: unknown[], ctx: RedactContext, depth: number): void {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v === 'string') {
        const r = redactString(v, ctx, rules);
        if (r !== v) arr[i] = r;
      } else if (typeof v === 'object' && v !== null) {
        if (depth >= MAX_DEPTH) {
          arr[i] = tooDeep(ctx);
        } else if (Array.isArray(v)) walkArray(v, ctx, depth + 1);
        else walkObject(v as Record<string, unknown>, ctx, depth + 1);
      }
    }
  }

  function walkObject(obj: Record<string, unknown>, ctx: RedactContext, depth: number): void {
    // for-in walks V8's cached key list (no array per object, unlike Object.keys). Records come
    // from JSON.parse and events from object literals: no enumerable inherited keys to skip.
    for (const key in obj) {
      const v = obj[key];
      if (v === null || (typeof v !== 'string' && typeof v !== 'object')) continue;
      let rule = rules.classify(key);
      if (rule === undefined && key === KV_SECRET_DATA && isKvSecret(obj)) rule = kvDataRule;
      if (rule !== undefined) {
        if (rule.strength === 'secret') {
          if (!(rule.label === LEGACY_WRAPPER_LABEL && isWrappedEvent(v))) {
            obj[key] = redactSecretValue(v, rule, ctx, depth);
            continue;
          }
        } else if (typeof v === 'string' && looksLikeKeyMaterial(v)) {
          obj[key] = fingerprintValue(ctx, v, rule.label);
          continue;
        }
      }
      if (typeof v === 'string') {
        const r = redactString(v, ctx, rules);
        if (r !== v) obj[key] = r;
      } else if (depth >= MAX_DEPTH) {
        obj[key] = tooDeep(ctx);
      } else if (Array.isArray(v)) walkArray(v, ctx, depth + 1);
      else walkObject(v as Record<string, unknown>, ctx, depth + 1);
    }
  }

  return {
    walk(value, ctx) {
      if (Array.isArray(value)) walkArray(value, ctx, 0);
      else walkObject(value as Record<string, unknown>, ctx, 0);
    },
  };
}

/**
 * The whole value of a secret-named field: a string becomes its fingerprint; in an object or
 * array every string leaf does (keys kept); numbers and booleans stay, as in Vault's audit log.
 */
function redactSecretValue(v: unknown, rule: SecretFieldRule, ctx: RedactContext, depth: number): unknown {
  if (typeof v === 'string') {
    if (isRedacted(v)) return v;
    const credential = rule.authScheme ? v.replace(AUTH_SCHEME_PREFIX, '') : v;
    return fingerprintValue(ctx, credential, rule.label);
  }
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= MAX_DEPTH) return tooDeep(ctx);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = redactSecretValue(v[i], rule, ctx, depth + 1);
    return v;
  }
  const obj = v as Record<string, unknown>;
  for (const key in obj) obj[key] = redactSecretValue(obj[key], rule, ctx, depth + 1);
  return obj;
}

function tooDeep(ctx: RedactContext): string {
  tally(ctx, TOO_DEEP_LABEL);
  return TOO_DEEP;
}

/** A Secrets Manager kv secret body: `{"secret_type": "kv", "data": {...}}`. */
function isKvSecret(obj: Record<string, unknown>): boolean {
  return obj.secret_type !== undefined || obj.secretType !== undefined;
}

/**
 * A legacy Activity Tracker event wraps its CADF fields in `payload` (reference 5.2); that
 * `payload` is the event, not key material, and is walked like any object.
 */
function isWrappedEvent(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.action === 'string' && typeof o.initiator === 'object' && o.initiator !== null && typeof o.target === 'object' && o.target !== null;
}
