import { STATUS_CODES } from 'node:http';
import { addressType, initiatorTypeURI } from '../../transforms/build/initiator.js';
import type { CompiledPipeline } from '../../transforms/classify/compile-pipeline.js';
import { isPlainObject, parseJsonObject } from './unwrap.js';

/**
 * Field-by-field normalisation of an already-formed event (reference 1.7, 5.1, 5.2). Each
 * function takes what the era wrote and returns the current form, or a reason text when the
 * value cannot be read. Reason texts never quote values: they may hold secrets.
 */

export type Normalised<T> = { value: T } | { error: string };

/** Fields the 2019 LogDNA migration told services to drop, and the reserved CADF fields the profile does not set. */
export const LEGACY_FIELDS = [
  'attachments',
  'requestHeader',
  'requestBody',
  'responseHeader',
  'responseBody',
  'latencies',
  'meta',
  'typeURI',
  'type',
  'eventType',
] as const;

/** auditline's own fields: recomputed on every ingest, never taken from the input. */
export const DERIVED_FIELDS = ['@timestamp', 'location', 'service', 'auditline'] as const;

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `200`, `"200"` and `200.0` are one code; anything else is left for the schema to refuse. */
export function reasonCodeOf(v: unknown): unknown {
  if (typeof v === 'string' && /^\s*\d{3}\s*$/.test(v)) return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return v;
}

/** `true`, `"true"`, `"TRUE"`: booleans written as strings by some services (COS, 2020). */
export function booleanOf(v: unknown, fallback: boolean): unknown {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return v;
}

/** requestData / responseData: objects; stringified JSON parsed (legacy required strings); absent → `{}`. */
export function dataObjectOf(v: unknown, name: string): Normalised<Record<string, unknown>> {
  if (v === undefined || v === null || v === '') return { value: {} };
  if (isPlainObject(v)) return { value: v };
  if (typeof v === 'string') {
    const parsed = parseJsonObject(v);
    return parsed ? { value: parsed } : { error: `${name} is a string that does not hold a JSON object` };
  }
  return { error: `${name} is a ${Array.isArray(v) ? 'array' : typeof v}, not an object` };
}

/** The correlation id wherever the era put it (reference 5.1): top level, responseBody, responseHeader. */
export function correlationIdOf(record: Record<string, unknown>): string | undefined {
  const body = isPlainObject(record.responseBody) ? record.responseBody : {};
  const header = isPlainObject(record.responseHeader) ? record.responseHeader : {};
  return str(record.correlationId) ?? str(body.correlationId) ?? str(body.correlationID) ?? str(header.content) ?? str(body.content);
}

/**
 * Legacy events carry what became responseData in `responseBody` (key id, key type, the
 * crypto-shredding `outstandingResourceCRNs`). When an event has no responseData, the body
 * becomes it, less the correlation id (moved to the top level): dropping it would lose audit facts.
 */
export function legacyResponseData(record: Record<string, unknown>): Record<string, unknown> | undefined {
  if (record.responseData !== undefined || !isPlainObject(record.responseBody)) return undefined;
  const { correlationId: _a, correlationID: _b, content: _c, ...rest } = record.responseBody;
  return rest;
}

/** The initiator with a host (private-network and service-initiated events omit it) and a typeURI. */
export function initiatorOf(v: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) return undefined;
  const id = typeof v.id === 'string' ? v.id : '';
  const host = isPlainObject(v.host) ? { ...v.host } : {};
  if (typeof host.address !== 'string') host.address = '';
  if (host.addressType === undefined) host.addressType = addressType(host.address as string);
  return {
    ...v,
    typeURI: typeof v.typeURI === 'string' ? v.typeURI.replace(/^\//, '') : initiatorTypeURI(undefined, id),
    host,
  };
}

/** The target with a name (may be empty when unknown, per the profile) and one typeURI spelling (no leading `/`). */
export function targetOf(v: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) return undefined;
  return {
    ...v,
    name: typeof v.name === 'string' ? v.name : '',
    ...(typeof v.typeURI === 'string' ? { typeURI: v.typeURI.replace(/^\//, '') } : {}),
  };
}

/**
 * The reason with a numeric code, the HTTP phrase when `reasonType` is missing (mandatory since
 * 2020-01), and `reasonForFailure` from its legacy place in requestData/responseData.
 */
export function reasonOf(v: unknown, outcome: unknown, legacyFailure: string | undefined): Record<string, unknown> {
  const reason = isPlainObject(v) ? { ...v } : {};
  reason.reasonCode = reasonCodeOf(reason.reasonCode);
  const code = reason.reasonCode;
  if (reason.reasonType === undefined || reason.reasonType === '') {
    const phrase = typeof code === 'number' ? STATUS_CODES[code] : undefined;
    if (phrase) reason.reasonType = phrase;
  }
  if (outcome === 'failure' && (reason.reasonForFailure === undefined || reason.reasonForFailure === '')) {
    const fallback = legacyFailure ?? (typeof reason.reasonType === 'string' ? reason.reasonType : undefined);
    if (fallback) reason.reasonForFailure = fallback;
  }
  return reason;
}

/** Lower case for the closed enums (`Success`, `NORMAL` appear in hand-written exports). */
export function lowerOf(v: unknown): unknown {
  return typeof v === 'string' ? v.trim().toLowerCase() : v;
}

/** Outcome from the status code when the event has none. */
export function outcomeOf(v: unknown, code: unknown): unknown {
  if (v !== undefined && v !== null && v !== '') return lowerOf(v);
  return typeof code === 'number' ? (code < 400 ? 'success' : 'failure') : v;
}

/** Current action name through the alias tables of the loaded pipelines (first pipeline that knows it). */
export function canonicalActionOf(action: string, pipelines: CompiledPipeline[]): string {
  for (const p of pipelines) {
    const current = p.canonicalAction(action);
    if (current !== action) return current;
  }
  return action;
}

/**
 * `logSourceCRN` with its `crn:` prefix (sample 3 lacks it). Events of the pre-2019 era have no
 * logSourceCRN: the instance part of a CRN target stands in for it, so the event still has a
 * location; without either the event cannot be placed and is refused.
 */
export function logSourceCrnOf(record: Record<string, unknown>, target: Record<string, unknown> | undefined): string | undefined {
  const own = str(record.logSourceCRN)?.trim();
  if (own) return own.startsWith('crn:') ? own : `crn:${own}`;
  const targetId = str(target?.id);
  if (!targetId || !/^(crn:)?v1:/.test(targetId)) return undefined;
  const parts = (targetId.startsWith('crn:') ? targetId : `crn:${targetId}`).split(':');
  if (parts.length < 8) return undefined;
  return `${parts.slice(0, 8).join(':')}::`;
}

/** The service segment of a CRN (`crn:v1:bluemix:public:<service>:…`). */
export function serviceOfCRN(crn: string): string | undefined {
  const service = crn.split(':')[4];
  return service ? service : undefined;
}
